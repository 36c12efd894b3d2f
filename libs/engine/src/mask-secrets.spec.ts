import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MASK, maskSecrets } from './mask-secrets.js';

describe('maskSecrets', () => {
  const table: Array<[string, unknown, string[], unknown]> = [
    ['a string that is the secret', 's3cr3t-token', ['s3cr3t-token'], MASK],
    ['a secret inside a string', 'Bearer s3cr3t-token!', ['s3cr3t-token'], `Bearer ${MASK}!`],
    ['every occurrence', 'abcd-abcd-abcd', ['abcd'], `${MASK}-${MASK}-${MASK}`],
    ['several secrets', 'u=user-1234 p=pass-5678', ['user-1234', 'pass-5678'], `u=${MASK} p=${MASK}`],
    [
      'nested objects and arrays',
      { a: [{ b: 'x-tok1-y' }, 'tok1'], c: { d: 'tok1' } },
      ['tok1'],
      { a: [{ b: `x-${MASK}-y` }, MASK], c: { d: MASK } },
    ],
    ['an object key', { 'key-tok1': 1 }, ['tok1'], { [`key-${MASK}`]: 1 }],
    ['the longer of two overlapping secrets whole', 'x-abcdefgh-x', ['abcd', 'abcdefgh'], `x-${MASK}-x`],
    ['the URL-encoded form', 'https://x.test/?k=p%40ss%20w%2Frd', ['p@ss w/rd'], `https://x.test/?k=${MASK}`],
    ['the JSON-escaped form', JSON.stringify({ k: 'ab"cd\\ef' }), ['ab"cd\\ef'], `{"k":"${MASK}"}`],
    ['nothing for a secret shorter than 4 characters', 'abc abc', ['abc'], 'abc abc'],
    ['nothing for an empty secret', 'text', [''], 'text'],
    ['nothing when no secret appears', { a: 'plain' }, ['tok1'], { a: 'plain' }],
    ['no number, boolean or null', [1234, true, null], ['1234', 'true', 'null'], [1234, true, null]],
    ['nothing with no secrets', 'tok1', [], 'tok1'],
  ];
  for (const [name, value, secrets, expected] of table) {
    it(`masks ${name}`, () => assert.deepEqual(maskSecrets(value, secrets), expected));
  }

  it('leaves its input untouched', () => {
    const input = { a: ['tok1'], b: { c: 'tok1' } };
    maskSecrets(input, ['tok1']);
    assert.deepEqual(input, { a: ['tok1'], b: { c: 'tok1' } });
  });

  it('keeps a Date and a Buffer as they are', () => {
    const date = new Date('2024-01-01T00:00:00Z');
    const buffer = Buffer.from('tok1');
    const masked = maskSecrets({ date, buffer, text: 'tok1' }, ['tok1']);
    assert.equal(masked.date, date);
    assert.equal(masked.buffer, buffer);
    assert.equal(masked.text, MASK);
  });

  it('keeps an own "__proto__" key of parsed JSON as data', () => {
    const input = JSON.parse('{"__proto__": {"x": "tok1"}}') as Record<string, unknown>;
    const masked = maskSecrets(input, ['tok1']);
    assert.equal(Object.getPrototypeOf(masked), Object.prototype);
    assert.deepEqual(Object.getOwnPropertyDescriptor(masked, '__proto__')?.value, { x: MASK });
  });

  it('survives a cycle', () => {
    const input: Record<string, unknown> = { text: 'tok1' };
    input.self = input;
    const masked = maskSecrets(input, ['tok1']);
    assert.equal(masked.text, MASK);
    assert.equal(masked.self, masked);
  });

  it('answers a value that holds no secret as it is, without copying it', () => {
    const input: Record<string, unknown> = { a: [{ b: 'plain' }], c: { 'key-x': 1 } };
    input.self = input;
    assert.equal(maskSecrets(input, ['tok1']), input);
  });

  it('finds a secret deep in an array, or only in a key', () => {
    assert.deepEqual(maskSecrets({ a: [1, [{ b: ['x', 'tok1'] }]] }, ['tok1']), { a: [1, [{ b: ['x', MASK] }]] });
    assert.deepEqual(maskSecrets([{ c: { 'tok1-key': null } }], ['tok1']), [{ c: { [`${MASK}-key`]: null } }]);
  });

  it('keeps undefined', () => assert.equal(maskSecrets(undefined, ['tok1']), undefined));
});
