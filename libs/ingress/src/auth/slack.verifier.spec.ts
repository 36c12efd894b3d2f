import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import type { AuthRequest, AuthResult, HmacAuthSpec } from './auth.types.js';
import { verifySlack } from './slack.verifier.js';

// Slack's documented example (api.slack.com/authentication/verifying-requests-from-slack).
const DOC_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const DOC_TIMESTAMP = 1531420618;
const DOC_BODY =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V' +
  '&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=' +
  '&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN' +
  '&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
const DOC_SIGNATURE = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';
const NOW = DOC_TIMESTAMP * 1000;
const TOLERANCE = 300_000;

const spec = (...secrets: string[]): HmacAuthSpec => ({
  type: 'hmac',
  preset: 'slack',
  secrets,
  toleranceMs: TOLERANCE,
});
const codeOf = (result: AuthResult) => (result.ok ? 'OK' : result.code);
const docHeaders = { 'x-slack-signature': DOC_SIGNATURE, 'x-slack-request-timestamp': String(DOC_TIMESTAMP) };
const request = (headers: AuthRequest['headers'], now = NOW, body = DOC_BODY): AuthRequest => ({
  rawBody: Buffer.from(body),
  headers,
  now,
});
const v0 = (secret: string, ts: number | string, body = DOC_BODY) =>
  `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`;

describe('verifySlack', () => {
  it("accepts Slack's documented example request", () =>
    assert.deepEqual(verifySlack(spec(DOC_SECRET), request(docHeaders)), { ok: true }));

  it('accepts a signature made with any of the rotated secrets', () => {
    const headers = { ...docHeaders, 'x-slack-signature': v0('new-secret', DOC_TIMESTAMP) };
    assert.equal(codeOf(verifySlack(spec(DOC_SECRET, 'new-secret'), request(headers))), 'OK');
    assert.equal(codeOf(verifySlack(spec(DOC_SECRET, 'new-secret'), request(docHeaders))), 'OK');
    assert.equal(codeOf(verifySlack(spec('new-secret'), request(docHeaders))), 'INVALID_SIGNATURE');
  });

  it('rejects a timestamp or body changed after signing', () => {
    const shifted = { ...docHeaders, 'x-slack-request-timestamp': String(DOC_TIMESTAMP + 1) };
    assert.equal(codeOf(verifySlack(spec(DOC_SECRET), request(shifted))), 'INVALID_SIGNATURE');
    assert.equal(codeOf(verifySlack(spec(DOC_SECRET), request(docHeaders, NOW, `${DOC_BODY}&x=1`))), 'INVALID_SIGNATURE');
  });

  const tolerance: Array<[string, number, string]> = [
    ['exactly the tolerance old', NOW + TOLERANCE, 'OK'],
    ['1 ms beyond the tolerance old', NOW + TOLERANCE + 1, 'STALE_TIMESTAMP'],
    ['exactly the tolerance in the future', NOW - TOLERANCE, 'OK'],
    ['1 ms beyond the tolerance in the future', NOW - TOLERANCE - 1, 'STALE_TIMESTAMP'],
  ];
  for (const [name, now, code] of tolerance) {
    it(`answers ${code} for a timestamp ${name}`, () =>
      assert.equal(codeOf(verifySlack(spec(DOC_SECRET), request(docHeaders, now))), code));
  }

  const malformed: Array<[string, AuthRequest['headers'], string]> = [
    ['a missing signature', { ...docHeaders, 'x-slack-signature': undefined }, 'MISSING_SIGNATURE'],
    ['a missing timestamp', { ...docHeaders, 'x-slack-request-timestamp': undefined }, 'MISSING_SIGNATURE'],
    ['an empty signature', { ...docHeaders, 'x-slack-signature': '' }, 'MISSING_SIGNATURE'],
    ['an empty timestamp', { ...docHeaders, 'x-slack-request-timestamp': '' }, 'MISSING_SIGNATURE'],
    ['a non-numeric timestamp', { ...docHeaders, 'x-slack-request-timestamp': 'yesterday' }, 'INVALID_SIGNATURE'],
    ['the timestamp sent twice', { ...docHeaders, 'x-slack-request-timestamp': ['1', '2'] }, 'INVALID_SIGNATURE'],
    ['the signature sent twice', { ...docHeaders, 'x-slack-signature': [DOC_SIGNATURE, DOC_SIGNATURE] }, 'INVALID_SIGNATURE'],
    ['an unknown version', { ...docHeaders, 'x-slack-signature': DOC_SIGNATURE.replace('v0=', 'v1=') }, 'INVALID_SIGNATURE'],
    ['no version', { ...docHeaders, 'x-slack-signature': DOC_SIGNATURE.slice(3) }, 'INVALID_SIGNATURE'],
    ['a truncated signature', { ...docHeaders, 'x-slack-signature': DOC_SIGNATURE.slice(0, -2) }, 'INVALID_SIGNATURE'],
    ['a non-hex signature', { ...docHeaders, 'x-slack-signature': `v0=${'x'.repeat(64)}` }, 'INVALID_SIGNATURE'],
    ['a 100 KB signature', { ...docHeaders, 'x-slack-signature': `v0=${'a'.repeat(100_000)}` }, 'INVALID_SIGNATURE'],
  ];
  for (const [name, headers, code] of malformed) {
    it(`answers ${code} for ${name}`, () => assert.equal(codeOf(verifySlack(spec(DOC_SECRET), request(headers))), code));
  }
});
