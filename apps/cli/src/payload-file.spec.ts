import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidArgumentError } from 'commander';
import { collectHeader, contentTypeFor, parseHeader } from './payload-file.js';

test('a payload is sent as JSON unless its extension says XML or text', () => {
  const cases: Array<[string, string]> = [
    ['push.json', 'application/json'],
    ['feed.XML', 'application/xml'],
    ['note.txt', 'text/plain'],
    ['no-extension', 'application/json'],
  ];
  for (const [path, type] of cases) assert.equal(contentTypeFor(path), type, path);
});

test("--header takes 'Name: value', lower-cases the name and keeps colons in the value", () => {
  assert.deepEqual(parseHeader('X-Source:  cli '), ['x-source', 'cli']);
  assert.deepEqual(parseHeader('Referer: http://a:1/b'), ['referer', 'http://a:1/b']);
  assert.deepEqual(parseHeader('X-Empty:'), ['x-empty', '']);
  for (const bad of ['no colon', ': value', 'bad name: v']) assert.equal(parseHeader(bad), undefined, bad);
});

test('repeated --header options accumulate, and a malformed one is an option error', () => {
  assert.deepEqual(collectHeader('B: 2', collectHeader('A: 1')), [
    ['a', '1'],
    ['b', '2'],
  ]);
  assert.throws(() => collectHeader('oops'), InvalidArgumentError);
});
