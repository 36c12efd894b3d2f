import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuthRequest, AuthResult } from './auth.types.js';
import { verifyToken, type TokenAuthSpec } from './token.verifier.js';

const codeOf = (result: AuthResult) => (result.ok ? 'OK' : result.code);
const request = (headers: AuthRequest['headers'], pathToken?: string): AuthRequest => ({
  rawBody: Buffer.from('{}'),
  headers,
  now: 1_700_000_000_000,
  ...(pathToken === undefined ? {} : { pathToken }),
});
const basic = (credentials: string) => `Basic ${Buffer.from(credentials).toString('base64')}`;

const token: TokenAuthSpec = { type: 'token', secrets: ['tok-old', 'tok-new'] };
const bearer: TokenAuthSpec = { type: 'bearer', secrets: ['bear-old', 'bear-new'] };
const basicAuth: TokenAuthSpec = { type: 'basic', secrets: ['alice:old', 'alice:pa:ss'] };
const header: TokenAuthSpec = { type: 'header', header: 'X-Api-Key', secrets: ['key-old', 'key-new'] };

describe('verifyToken', () => {
  const cases: Array<[string, TokenAuthSpec, AuthRequest, string]> = [
    ['token: the first secret as the path segment', token, request({}, 'tok-old'), 'OK'],
    ['token: the rotated secret as the path segment', token, request({}, 'tok-new'), 'OK'],
    ['token: a wrong path segment', token, request({}, 'tok-bad'), 'UNAUTHORIZED'],
    ['token: a prefix of the secret', token, request({}, 'tok'), 'UNAUTHORIZED'],
    ['token: no path segment', token, request({}), 'UNAUTHORIZED'],
    ['token: an empty path segment', token, request({}, ''), 'UNAUTHORIZED'],
    ['token: an empty configured secret never matches', { type: 'token', secrets: [''] }, request({}, ''), 'UNAUTHORIZED'],
    ['bearer: the first secret', bearer, request({ authorization: 'Bearer bear-old' }), 'OK'],
    ['bearer: the rotated secret', bearer, request({ authorization: 'Bearer bear-new' }), 'OK'],
    ['bearer: the scheme in lower case', bearer, request({ authorization: 'bearer bear-new' }), 'OK'],
    ['bearer: a wrong token', bearer, request({ authorization: 'Bearer bear-bad' }), 'UNAUTHORIZED'],
    ['bearer: a missing header', bearer, request({}), 'UNAUTHORIZED'],
    ['bearer: an empty header', bearer, request({ authorization: '' }), 'UNAUTHORIZED'],
    ['bearer: the scheme alone', bearer, request({ authorization: 'Bearer' }), 'UNAUTHORIZED'],
    ['bearer: the token without a scheme', bearer, request({ authorization: 'bear-old' }), 'UNAUTHORIZED'],
    ['bearer: the Basic scheme', bearer, request({ authorization: basic('bear-old') }), 'UNAUTHORIZED'],
    ['bearer: the header sent twice', bearer, request({ authorization: ['Bearer bear-old', 'Bearer bear-old'] }), 'UNAUTHORIZED'],
    ['bearer: a 100 KB header', bearer, request({ authorization: `Bearer ${'a'.repeat(100_000)}` }), 'UNAUTHORIZED'],
    ['basic: the first user:password', basicAuth, request({ authorization: basic('alice:old') }), 'OK'],
    ['basic: a rotated password containing a colon', basicAuth, request({ authorization: basic('alice:pa:ss') }), 'OK'],
    ['basic: a wrong password', basicAuth, request({ authorization: basic('alice:bad') }), 'UNAUTHORIZED'],
    ['basic: a wrong user', basicAuth, request({ authorization: basic('bob:old') }), 'UNAUTHORIZED'],
    ['basic: credentials not in base64', basicAuth, request({ authorization: 'Basic alice:old' }), 'UNAUTHORIZED'],
    ['basic: truncated base64', basicAuth, request({ authorization: basic('alice:old').slice(0, -1) }), 'UNAUTHORIZED'],
    ['basic: the Bearer scheme', basicAuth, request({ authorization: 'Bearer alice:old' }), 'UNAUTHORIZED'],
    ['basic: a missing header', basicAuth, request({}), 'UNAUTHORIZED'],
    ['header: the first secret', header, request({ 'x-api-key': 'key-old' }), 'OK'],
    ['header: the rotated secret', header, request({ 'x-api-key': 'key-new' }), 'OK'],
    ['header: a wrong value', header, request({ 'x-api-key': 'key-bad' }), 'UNAUTHORIZED'],
    ['header: the value differing in case', header, request({ 'x-api-key': 'KEY-OLD' }), 'UNAUTHORIZED'],
    ['header: a missing header', header, request({ authorization: 'Bearer key-old' }), 'UNAUTHORIZED'],
    ['header: the header sent twice', header, request({ 'x-api-key': ['key-old', 'key-old'] }), 'UNAUTHORIZED'],
  ];
  for (const [name, spec, req, code] of cases) {
    it(`answers ${code} for ${name}`, () => assert.equal(codeOf(verifyToken(spec, req)), code));
  }
});
