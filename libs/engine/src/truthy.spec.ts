import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import jsonata from 'jsonata';
import { compileExpression } from '#libs/workflow';
import { isTruthy } from './truthy.js';

/** What JSONata itself says, so the table cannot drift from the language. */
async function jsonataBoolean(value: unknown): Promise<unknown> {
  return jsonata('$boolean($v)').evaluate({}, { v: value });
}

describe('isTruthy follows JSONata $boolean', () => {
  const table: Array<[string, unknown, boolean]> = [
    ['true', true, true],
    ['false', false, false],
    ['a non-empty string', 'x', true],
    ['the string "false"', 'false', true],
    ['the string "0"', '0', true],
    ['a blank string', ' ', true],
    ['the empty string', '', false],
    ['a positive number', 1, true],
    ['a negative number', -0.5, true],
    ['zero', 0, false],
    ['negative zero', -0, false],
    ['NaN', Number.NaN, false],
    ['null', null, false],
    ['an empty object', {}, false],
    ['a non-empty object', { a: 0 }, true],
    ['an object holding only null', { a: null }, true],
    ['an empty array', [], false],
    ['an array of one true member', [1], true],
    ['an array of one false member', [0], false],
    ['an array of one empty array', [[]], false],
    ['an array of one empty object', [{}], false],
    ['an array of false members', [0, '', null, false], false],
    ['an array with one true member among false ones', [0, '', 'x'], true],
    ['nested arrays of false members', [[0], [''], [[]]], false],
    ['nested arrays with a true member', [[0], [[1]]], true],
  ];
  for (const [name, value, expected] of table) {
    it(`${name} is ${expected}`, async () => {
      assert.equal(isTruthy(value), expected);
      assert.equal(await jsonataBoolean(value), expected, 'JSONata agrees');
    });
  }

  it('undefined (no match) is false, where $boolean gives undefined', async () => {
    assert.equal(isTruthy(undefined), false);
    assert.equal(await jsonataBoolean(undefined), undefined);
  });

  it('a JavaScript function is false', async () => {
    const fn = (): number => 1;
    assert.equal(isTruthy(fn), false);
    assert.equal(await jsonataBoolean(fn), false);
  });

  const functions: Array<[string, string]> = [
    ['a JSONata lambda', 'function($x){ $x }'],
    ['a JSONata built-in function', '$count'],
    ['a partially applied function', '$substring(?, 0, 1)'],
  ];
  for (const [name, source] of functions) {
    it(`${name}, as an if expression returns it, is false`, async () => {
      const value = await compileExpression(source).evaluate({});
      assert.equal(typeof value, 'object', 'JSONata hands functions back as objects');
      assert.equal(isTruthy(value), false);
      assert.equal(await jsonataBoolean(value), false, 'JSONata agrees');
    });
  }

  it('a JSONata sequence of matches is true when one match is', async () => {
    const value = await compileExpression('items.ok').evaluate({ items: [{ ok: false }, { ok: true }] });
    assert.equal(isTruthy(value), true);
  });
});
