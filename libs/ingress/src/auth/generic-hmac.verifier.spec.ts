import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import type { AuthRequest, AuthResult, HmacAuthSpec } from './auth.types.js';
import { verifyGenericHmac } from './generic-hmac.verifier.js';

const SECRET = 'generic-secret';
const BODY = '{"event":"ping"}';
const codeOf = (result: AuthResult) => (result.ok ? 'OK' : result.code);
const spec = (options: Partial<HmacAuthSpec> = {}, secrets = [SECRET]): HmacAuthSpec => ({
  type: 'hmac',
  preset: 'generic',
  secrets,
  toleranceMs: 300_000,
  ...options,
});
const request = (headers: AuthRequest['headers'], body = BODY): AuthRequest => ({
  rawBody: Buffer.from(body),
  headers,
  now: 1_700_000_000_000,
});
const mac = (algorithm: string, secret = SECRET) => createHmac(algorithm, secret).update(BODY).digest();

describe('verifyGenericHmac', () => {
  const accepted: Array<[string, Partial<HmacAuthSpec>, AuthRequest['headers']]> = [
    ['the defaults: x-signature, sha256, hex', {}, { 'x-signature': mac('sha256').toString('hex') }],
    ['sha1 in base64', { algorithm: 'sha1', encoding: 'base64' }, { 'x-signature': mac('sha1').toString('base64') }],
    ['sha512 with a prefix', { algorithm: 'sha512', prefix: 'sha512=' }, { 'x-signature': `sha512=${mac('sha512').toString('hex')}` }],
    ['a header named in mixed case', { header: 'X-Acme-Signature' }, { 'x-acme-signature': mac('sha256').toString('hex') }],
  ];
  for (const [name, options, headers] of accepted) {
    it(`accepts ${name}`, () => assert.deepEqual(verifyGenericHmac(spec(options), request(headers)), { ok: true }));
  }

  it('accepts a signature made with any of the rotated secrets', () => {
    const headers = { 'x-signature': mac('sha256', 'old').toString('hex') };
    assert.equal(codeOf(verifyGenericHmac(spec({}, [SECRET, 'old']), request(headers))), 'OK');
    assert.equal(codeOf(verifyGenericHmac(spec({}, [SECRET]), request(headers))), 'INVALID_SIGNATURE');
  });

  const rejected: Array<[string, Partial<HmacAuthSpec>, AuthRequest['headers'], string]> = [
    ['a missing header', {}, {}, 'MISSING_SIGNATURE'],
    [
      'the signature in the default header when another is configured',
      { header: 'x-acme' },
      { 'x-signature': mac('sha256').toString('hex') },
      'MISSING_SIGNATURE',
    ],
    ['an empty header', {}, { 'x-signature': '' }, 'MISSING_SIGNATURE'],
    ['the header sent twice', {}, { 'x-signature': ['a', 'b'] }, 'INVALID_SIGNATURE'],
    ['a digest made with another algorithm', {}, { 'x-signature': mac('sha512').toString('hex') }, 'INVALID_SIGNATURE'],
    ['a digest in the other encoding', {}, { 'x-signature': mac('sha256').toString('base64') }, 'INVALID_SIGNATURE'],
    ['a missing prefix', { prefix: 'sha256=' }, { 'x-signature': mac('sha256').toString('hex') }, 'INVALID_SIGNATURE'],
    ['a wrong prefix', { prefix: 'sha256=' }, { 'x-signature': `sha1=${mac('sha256').toString('hex')}` }, 'INVALID_SIGNATURE'],
    ['a prefix with no digest', { prefix: 'sha256=' }, { 'x-signature': 'sha256=' }, 'INVALID_SIGNATURE'],
    ['a truncated digest', {}, { 'x-signature': mac('sha256').toString('hex').slice(0, 40) }, 'INVALID_SIGNATURE'],
    ['a non-hex digest', {}, { 'x-signature': 'not-a-digest' }, 'INVALID_SIGNATURE'],
    ['a 100 KB header', {}, { 'x-signature': '0'.repeat(100_000) }, 'INVALID_SIGNATURE'],
  ];
  for (const [name, options, headers, code] of rejected) {
    it(`answers ${code} for ${name}`, () => assert.equal(codeOf(verifyGenericHmac(spec(options), request(headers))), code));
  }
});
