import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import type { DigestEncoding } from './auth.types.js';
import { decodeDigest, hmac, matchesAnySecret } from './hmac.js';

describe('decodeDigest', () => {
  const cases: Array<[string, DigestEncoding, string | undefined]> = [
    ['00ff10', 'hex', '00ff10'],
    ['00FF10', 'hex', '00ff10'],
    ['00ff1', 'hex', undefined],
    ['00fg10', 'hex', undefined],
    ['', 'hex', undefined],
    ['AP8Q', 'base64', '00ff10'],
    ['AP8=', 'base64', '00ff'],
    ['AP8', 'base64', undefined],
    ['AP8Q!', 'base64', undefined],
    ['AP-_', 'base64', undefined],
    ['A===', 'base64', undefined],
    ['', 'base64', undefined],
  ];
  for (const [text, encoding, expectedHex] of cases) {
    it(`reads ${JSON.stringify(text)} as ${encoding} → ${expectedHex ?? 'invalid'}`, () =>
      assert.equal(decodeDigest(text, encoding)?.toString('hex'), expectedHex));
  }
});

describe('matchesAnySecret', () => {
  const sign = (secret: string) => Buffer.from(`sig:${secret}`);
  it('matches when any secret signs any provided signature', () =>
    assert.equal(matchesAnySecret(['a', 'b'], [Buffer.from('x'), sign('b')], sign), true));
  it('rejects when no secret matches', () => assert.equal(matchesAnySecret(['a', 'b'], [sign('c')], sign), false));
  it('never uses an empty secret', () => assert.equal(matchesAnySecret([''], [sign('')], sign), false));
  it('skips a secret the signer declines', () =>
    assert.equal(
      matchesAnySecret(['a'], [sign('a')], () => undefined),
      false,
    ));
  it('rejects when there are no secrets', () => assert.equal(matchesAnySecret([], [sign('a')], sign), false));
});

describe('hmac', () => {
  it('signs with a string secret as its UTF-8 bytes, the same on every call', () => {
    const expected = createHmac('sha256', Buffer.from('sécret-ü', 'utf8')).update('a.').update(Buffer.from('body')).digest('hex');
    for (let call = 0; call < 3; call++) assert.equal(hmac('sha256', 'sécret-ü', 'a.', Buffer.from('body')).toString('hex'), expected);
  });
  it('signs with a key given as bytes, and with an empty secret', () => {
    const key = Uint8Array.from([0, 255, 16]);
    assert.equal(hmac('sha512', key, 'x').toString('hex'), createHmac('sha512', key).update('x').digest('hex'));
    assert.equal(hmac('sha1', '', 'x').toString('hex'), createHmac('sha1', '').update('x').digest('hex'));
  });
});
