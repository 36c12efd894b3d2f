import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import Stripe from 'stripe';
import type { AuthRequest, AuthResult, HmacAuthSpec } from './auth.types.js';
import { signStripe, verifyStripe } from './stripe.verifier.js';

const T = 1_700_000_000;
const NOW = T * 1000;
const TOLERANCE = 300_000;
const SECRET = 'whsec_test_secret_0123456789';
const BODY = JSON.stringify({ id: 'evt_1', object: 'event', type: 'invoice.paid' });
const stripe = new Stripe('sk_test_x');

const spec = (...secrets: string[]): HmacAuthSpec => ({
  type: 'hmac',
  preset: 'stripe',
  secrets,
  toleranceMs: TOLERANCE,
});
const request = (signature: AuthRequest['headers'][string], now = NOW, body = BODY): AuthRequest => ({
  rawBody: Buffer.from(body),
  headers: { 'stripe-signature': signature },
  now,
});
const codeOf = (result: AuthResult) => (result.ok ? 'OK' : result.code);
const v1 = (secret: string | Buffer, t = T, body = BODY) => createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
const libraryHeader = (secret: string, timestamp = T) => stripe.webhooks.generateTestHeaderString({ payload: BODY, secret, timestamp });

describe('verifyStripe', () => {
  it("accepts a header made by Stripe's own library", () =>
    assert.deepEqual(verifyStripe(spec(SECRET), request(libraryHeader(SECRET))), { ok: true }));

  it("produces a header that Stripe's own library accepts", () => {
    const header = signStripe(spec(SECRET), SECRET, { rawBody: Buffer.from(BODY), now: NOW })['stripe-signature'];
    assert.ok(header);
    assert.ok(stripe.webhooks.signature);
    assert.equal(stripe.webhooks.signature.verifyHeader(BODY, header, SECRET, 300, undefined, NOW), true);
  });

  it('keys the HMAC with the whole whsec_ string, not its decoded bytes', () => {
    const decodedKey = Buffer.from(SECRET.slice('whsec_'.length), 'base64');
    assert.equal(codeOf(verifyStripe(spec(SECRET), request(`t=${T},v1=${v1(decodedKey)}`))), 'INVALID_SIGNATURE');
  });

  it('accepts when any one of several v1 signatures matches', () =>
    assert.equal(codeOf(verifyStripe(spec(SECRET), request(`t=${T},v1=${v1('other')},v1=${v1(SECRET)},v0=abc`))), 'OK'));

  it('accepts a signature made with any of the rotated secrets', () => {
    assert.equal(codeOf(verifyStripe(spec('whsec_old', SECRET), request(libraryHeader(SECRET)))), 'OK');
    assert.equal(codeOf(verifyStripe(spec('whsec_old', SECRET), request(libraryHeader('whsec_old')))), 'OK');
    assert.equal(codeOf(verifyStripe(spec('whsec_old', SECRET), request(libraryHeader('whsec_x')))), 'INVALID_SIGNATURE');
  });

  it('ignores v0 signatures', () =>
    assert.equal(codeOf(verifyStripe(spec(SECRET), request(`t=${T},v0=${v1(SECRET)}`))), 'INVALID_SIGNATURE'));

  it('rejects a body changed after signing', () =>
    assert.equal(codeOf(verifyStripe(spec(SECRET), request(libraryHeader(SECRET), NOW, `${BODY} `))), 'INVALID_SIGNATURE'));

  it('rejects a timestamp changed after signing', () =>
    assert.equal(codeOf(verifyStripe(spec(SECRET), request(`t=${T + 1},v1=${v1(SECRET)}`, NOW + 1000))), 'INVALID_SIGNATURE'));

  it('reports a bad signature rather than a stale one when both are wrong', () =>
    assert.equal(codeOf(verifyStripe(spec(SECRET), request(libraryHeader('whsec_x'), NOW + 3_600_000))), 'INVALID_SIGNATURE'));

  const tolerance: Array<[string, number, string]> = [
    ['exactly the tolerance old', NOW + TOLERANCE, 'OK'],
    ['1 ms beyond the tolerance old', NOW + TOLERANCE + 1, 'STALE_TIMESTAMP'],
    ['exactly the tolerance in the future', NOW - TOLERANCE, 'OK'],
    ['1 ms beyond the tolerance in the future', NOW - TOLERANCE - 1, 'STALE_TIMESTAMP'],
    ['a day old', NOW + 86_400_000, 'STALE_TIMESTAMP'],
  ];
  for (const [name, now, code] of tolerance) {
    it(`answers ${code} for a timestamp ${name}`, () =>
      assert.equal(codeOf(verifyStripe(spec(SECRET), request(libraryHeader(SECRET), now))), code));
  }

  const sig = v1(SECRET);
  const malformed: Array<[string, AuthRequest['headers'][string], string]> = [
    ['a missing header', undefined, 'MISSING_SIGNATURE'],
    ['an empty header', '', 'MISSING_SIGNATURE'],
    ['the header sent twice', [`t=${T},v1=${sig}`, `t=${T},v1=${sig}`], 'INVALID_SIGNATURE'],
    ['no timestamp', `v1=${sig}`, 'INVALID_SIGNATURE'],
    ['an empty timestamp', `t=,v1=${sig}`, 'INVALID_SIGNATURE'],
    ['a non-numeric timestamp', `t=soon,v1=${sig}`, 'INVALID_SIGNATURE'],
    ['a negative timestamp', `t=-${T},v1=${sig}`, 'INVALID_SIGNATURE'],
    ['a fractional timestamp', `t=${T}.5,v1=${sig}`, 'INVALID_SIGNATURE'],
    ['two timestamps', `t=${T},t=${T},v1=${sig}`, 'INVALID_SIGNATURE'],
    ['no signature', `t=${T}`, 'INVALID_SIGNATURE'],
    ['an empty signature', `t=${T},v1=`, 'INVALID_SIGNATURE'],
    ['a truncated signature', `t=${T},v1=${sig.slice(0, 32)}`, 'INVALID_SIGNATURE'],
    ['a non-hex signature', `t=${T},v1=${'g'.repeat(64)}`, 'INVALID_SIGNATURE'],
    ['a GitHub-style header', `sha256=${sig}`, 'INVALID_SIGNATURE'],
    ['garbage separators', ',,,=,=,', 'INVALID_SIGNATURE'],
    ['a 100 KB header', `t=${T},${'v1=00,'.repeat(20_000)}`, 'INVALID_SIGNATURE'],
  ];
  for (const [name, header, code] of malformed) {
    it(`answers ${code} for ${name}`, () => assert.equal(codeOf(verifyStripe(spec(SECRET), request(header))), code));
  }
});
