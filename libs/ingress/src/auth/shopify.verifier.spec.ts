import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import type { AuthRequest, AuthResult, HmacAuthSpec } from './auth.types.js';
import { verifyShopify } from './shopify.verifier.js';

const SECRET = 'shpss_0123456789abcdef';
const BODY = '{"id":820982911946154500,"email":"jon@example.com"}';
const spec = (...secrets: string[]): HmacAuthSpec => ({
  type: 'hmac',
  preset: 'shopify',
  secrets,
  toleranceMs: 300_000,
});
const codeOf = (result: AuthResult) => (result.ok ? 'OK' : result.code);
const request = (signature: AuthRequest['headers'][string], body = BODY): AuthRequest => ({
  rawBody: Buffer.from(body),
  headers: { 'x-shopify-hmac-sha256': signature },
  now: 1_700_000_000_000,
});
const digest = (secret: string) => createHmac('sha256', secret).update(BODY).digest();

describe('verifyShopify', () => {
  it('accepts the base64 HMAC-SHA256 of the raw body', () =>
    assert.deepEqual(verifyShopify(spec(SECRET), request(digest(SECRET).toString('base64'))), { ok: true }));

  it('accepts a signature made with any of the rotated secrets', () => {
    assert.equal(codeOf(verifyShopify(spec('old', SECRET), request(digest('old').toString('base64')))), 'OK');
    assert.equal(codeOf(verifyShopify(spec('old', SECRET), request(digest(SECRET).toString('base64')))), 'OK');
    assert.equal(codeOf(verifyShopify(spec('old'), request(digest(SECRET).toString('base64')))), 'INVALID_SIGNATURE');
  });

  it('rejects a body changed after signing', () =>
    assert.equal(codeOf(verifyShopify(spec(SECRET), request(digest(SECRET).toString('base64'), `${BODY} `))), 'INVALID_SIGNATURE'));

  const good = digest(SECRET).toString('base64');
  const malformed: Array<[string, AuthRequest['headers'][string], string]> = [
    ['a missing header', undefined, 'MISSING_SIGNATURE'],
    ['an empty header', '', 'MISSING_SIGNATURE'],
    ['the header sent twice', [good, good], 'INVALID_SIGNATURE'],
    ['the digest in hex', digest(SECRET).toString('hex'), 'INVALID_SIGNATURE'],
    ['the digest in base64url', digest(SECRET).toString('base64url'), 'INVALID_SIGNATURE'],
    ['a truncated digest', good.slice(0, -4), 'INVALID_SIGNATURE'],
    ['a digest with its padding cut', good.replace(/=+$/, ''), 'INVALID_SIGNATURE'],
    ['a non-base64 digest', '***not base64***', 'INVALID_SIGNATURE'],
    ['a scheme prefix', `sha256=${good}`, 'INVALID_SIGNATURE'],
    ['a 100 KB header', 'A'.repeat(100_000), 'INVALID_SIGNATURE'],
  ];
  for (const [name, header, code] of malformed) {
    it(`answers ${code} for ${name}`, () => assert.equal(codeOf(verifyShopify(spec(SECRET), request(header))), code));
  }
});
