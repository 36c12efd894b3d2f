import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { constantTimeEqual, digestsEqual } from './constant-time.js';

describe('constantTimeEqual', () => {
  const cases: Array<[string, string | Uint8Array, string | Uint8Array, boolean]> = [
    ['equal strings', 'secret', 'secret', true],
    ['a string and its UTF-8 bytes', 'sécret', Buffer.from('sécret', 'utf8'), true],
    ['equal buffers', Buffer.from([1, 2, 3]), Buffer.from([1, 2, 3]), true],
    ['strings differing in the last character', 'secret', 'secreT', false],
    ['a prefix of the other', 'secret', 'secret-and-more', false],
    ['an empty value and a non-empty one', '', 'secret', false],
    ['buffers of different lengths', Buffer.alloc(1), Buffer.alloc(100_000), false],
  ];
  for (const [name, a, b, expected] of cases) {
    it(`${expected ? 'matches' : 'rejects'} ${name} without throwing`, () => {
      assert.equal(constantTimeEqual(a, b), expected);
      assert.equal(constantTimeEqual(b, a), expected);
    });
  }
});

describe('digestsEqual', () => {
  const digest = Buffer.from('9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08', 'hex');
  it('matches equal digests', () => assert.equal(digestsEqual(digest, Buffer.from(digest)), true));
  it('rejects a digest differing in its last byte', () => {
    const other = Buffer.from(digest);
    other[other.length - 1] ^= 1;
    assert.equal(digestsEqual(digest, other), false);
  });
  it('rejects a digest of another length without throwing', () => {
    assert.equal(digestsEqual(digest, digest.subarray(0, 20)), false);
    assert.equal(digestsEqual(Buffer.alloc(0), digest), false);
  });
});
