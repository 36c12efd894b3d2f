import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import type { AuthRequest, AuthResult, HmacAuthSpec } from './auth.types.js';
import { signStandardWebhooks, verifyStandardWebhooks } from './standard-webhooks.verifier.js';

const T = 1_700_000_000;
const NOW = T * 1000;
const TOLERANCE = 300_000;
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const ID = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';
const BODY = '{"type":"user.created","data":{"id":"u_1"}}';

const spec = (...secrets: string[]): HmacAuthSpec => ({
  type: 'hmac',
  preset: 'standard-webhooks',
  secrets,
  toleranceMs: TOLERANCE,
});
const codeOf = (result: AuthResult) => (result.ok ? 'OK' : result.code);
const libraryHeaders = (secret = SECRET, now = NOW) => ({
  'webhook-id': ID,
  'webhook-timestamp': String(Math.floor(now / 1000)),
  'webhook-signature': new Webhook(secret).sign(ID, new Date(now), BODY),
});
const request = (headers: AuthRequest['headers'], now = NOW, body = BODY): AuthRequest => ({
  rawBody: Buffer.from(body),
  headers,
  now,
});

describe('verifyStandardWebhooks', () => {
  it("accepts the Standard Webhooks specification's example signature", () => {
    const headers = {
      'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      'webhook-timestamp': '1614265330',
      'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    };
    assert.deepEqual(verifyStandardWebhooks(spec(SECRET), request(headers, 1_614_265_330_000, '{"test": 2432232314}')), {
      ok: true,
    });
  });

  it('accepts a signature made by the standardwebhooks library', () =>
    assert.deepEqual(verifyStandardWebhooks(spec(SECRET), request(libraryHeaders())), { ok: true }));

  it('accepts a secret given without its whsec_ prefix', () =>
    assert.equal(codeOf(verifyStandardWebhooks(spec(SECRET.slice(6)), request(libraryHeaders()))), 'OK'));

  it('produces headers that the standardwebhooks library accepts', () => {
    const headers = signStandardWebhooks(spec(SECRET), SECRET, { rawBody: Buffer.from(BODY), now: Date.now() });
    assert.deepEqual(new Webhook(SECRET).verify(BODY, headers), JSON.parse(BODY));
  });

  it('keys the HMAC with the decoded secret, not its text', () => {
    const wrong = createHmac('sha256', SECRET).update(`${ID}.${T}.${BODY}`).digest('base64');
    const headers = { ...libraryHeaders(), 'webhook-signature': `v1,${wrong}` };
    assert.equal(codeOf(verifyStandardWebhooks(spec(SECRET), request(headers))), 'INVALID_SIGNATURE');
  });

  it('accepts when any one of several space-separated signatures matches', () => {
    const good = libraryHeaders()['webhook-signature'];
    const headers = { ...libraryHeaders(), 'webhook-signature': `v1a,AAAA v1,${'A'.repeat(43)}= ${good}` };
    assert.equal(codeOf(verifyStandardWebhooks(spec(SECRET), request(headers))), 'OK');
  });

  it('accepts a signature made with any of the rotated secrets', () => {
    const other = 'whsec_' + Buffer.from('another key of 24 bytes!').toString('base64');
    assert.equal(codeOf(verifyStandardWebhooks(spec(other, SECRET), request(libraryHeaders(SECRET)))), 'OK');
    assert.equal(codeOf(verifyStandardWebhooks(spec(other, SECRET), request(libraryHeaders(other)))), 'OK');
    assert.equal(codeOf(verifyStandardWebhooks(spec(other), request(libraryHeaders(SECRET)))), 'INVALID_SIGNATURE');
  });

  it('rejects a message id, timestamp or body changed after signing', () => {
    const headers = libraryHeaders();
    assert.equal(codeOf(verifyStandardWebhooks(spec(SECRET), request({ ...headers, 'webhook-id': 'msg_x' }))), 'INVALID_SIGNATURE');
    assert.equal(
      codeOf(verifyStandardWebhooks(spec(SECRET), request({ ...headers, 'webhook-timestamp': String(T + 1) }))),
      'INVALID_SIGNATURE',
    );
    assert.equal(codeOf(verifyStandardWebhooks(spec(SECRET), request(headers, NOW, `${BODY}\n`))), 'INVALID_SIGNATURE');
  });

  const tolerance: Array<[string, number, string]> = [
    ['exactly the tolerance old', NOW + TOLERANCE, 'OK'],
    ['1 ms beyond the tolerance old', NOW + TOLERANCE + 1, 'STALE_TIMESTAMP'],
    ['exactly the tolerance in the future', NOW - TOLERANCE, 'OK'],
    ['1 ms beyond the tolerance in the future', NOW - TOLERANCE - 1, 'STALE_TIMESTAMP'],
  ];
  for (const [name, now, code] of tolerance) {
    it(`answers ${code} for a timestamp ${name}`, () =>
      assert.equal(codeOf(verifyStandardWebhooks(spec(SECRET), request(libraryHeaders(), now))), code));
  }

  const good = libraryHeaders()['webhook-signature'];
  const malformed: Array<[string, AuthRequest['headers'], string]> = [
    ['a missing signature', { ...libraryHeaders(), 'webhook-signature': undefined }, 'MISSING_SIGNATURE'],
    ['a missing message id', { ...libraryHeaders(), 'webhook-id': undefined }, 'MISSING_SIGNATURE'],
    ['a missing timestamp', { ...libraryHeaders(), 'webhook-timestamp': undefined }, 'MISSING_SIGNATURE'],
    ['an empty signature header', { ...libraryHeaders(), 'webhook-signature': '' }, 'MISSING_SIGNATURE'],
    ['a non-numeric timestamp', { ...libraryHeaders(), 'webhook-timestamp': 'now' }, 'INVALID_SIGNATURE'],
    ['a timestamp in milliseconds-with-a-dot', { ...libraryHeaders(), 'webhook-timestamp': `${T}.0` }, 'INVALID_SIGNATURE'],
    ['the signature sent twice', { ...libraryHeaders(), 'webhook-signature': [good, good] }, 'INVALID_SIGNATURE'],
    ['a version with no signature', { ...libraryHeaders(), 'webhook-signature': 'v1,' }, 'INVALID_SIGNATURE'],
    ['an unknown version only', { ...libraryHeaders(), 'webhook-signature': good.replace('v1,', 'v2,') }, 'INVALID_SIGNATURE'],
    ['the wrong separator', { ...libraryHeaders(), 'webhook-signature': good.replace('v1,', 'v1=') }, 'INVALID_SIGNATURE'],
    ['a truncated signature', { ...libraryHeaders(), 'webhook-signature': good.slice(0, -4) }, 'INVALID_SIGNATURE'],
    ['a non-base64 signature', { ...libraryHeaders(), 'webhook-signature': 'v1,!!!!' }, 'INVALID_SIGNATURE'],
    ['a 100 KB header', { ...libraryHeaders(), 'webhook-signature': `v1,${'A'.repeat(100_000)}` }, 'INVALID_SIGNATURE'],
  ];
  for (const [name, headers, code] of malformed) {
    it(`answers ${code} for ${name}`, () => assert.equal(codeOf(verifyStandardWebhooks(spec(SECRET), request(headers))), code));
  }
});
