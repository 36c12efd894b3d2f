import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { signDelivery, verifyAuth } from './auth.js';
import type { AuthRequest, AuthResult, AuthSpec, SignedDelivery } from './auth.types.js';

const NOW = 1_700_000_000_000;
const TOLERANCE = 300_000;
const BODY = Buffer.from('{"hello":"wörld"}');
const FIRST = 'whsec_Zmlyc3Qgc2VjcmV0IGtleSBtYXRlcmlhbA==';
const SECOND = 'whsec_c2Vjb25kIHNlY3JldCBrZXkgbWF0ZXJpYWw=';
const hmac = (preset: Extract<AuthSpec, { type: 'hmac' }>['preset'], extra: object = {}): AuthSpec => ({
  type: 'hmac',
  preset,
  secrets: [FIRST, SECOND],
  toleranceMs: TOLERANCE,
  ...extra,
});

const SPECS: Array<[string, AuthSpec]> = [
  ['github', hmac('github')],
  ['stripe', hmac('stripe')],
  ['standard-webhooks', hmac('standard-webhooks')],
  ['shopify', hmac('shopify')],
  ['slack', hmac('slack')],
  ['generic (defaults)', hmac('generic')],
  [
    'generic (sha1, base64, prefix, own header)',
    hmac('generic', { algorithm: 'sha1', encoding: 'base64', prefix: 'sha1=', header: 'X-Sig' }),
  ],
  ['token', { type: 'token', secrets: ['first/token?', 'second-token'] }],
  ['bearer', { type: 'bearer', secrets: ['first-bearer', 'second-bearer'] }],
  ['basic', { type: 'basic', secrets: ['alice:first', 'alice:second'] }],
  ['header', { type: 'header', header: 'X-Api-Key', secrets: ['first-key', 'second-key'] }],
];
const TIMESTAMPED = new Set(['stripe', 'standard-webhooks', 'slack']);

const codeOf = (result: AuthResult) => (result.ok ? 'OK' : result.code);
const delivered = (signed: SignedDelivery, now = NOW, rawBody = BODY): AuthRequest => {
  const request: AuthRequest = { rawBody, headers: { ...signed.headers }, now };
  if (signed.pathSuffix !== undefined) request.pathToken = decodeURIComponent(signed.pathSuffix.replace(/^\//, ''));
  return request;
};
const withSecrets = (spec: AuthSpec, secrets: string[]): AuthSpec => ({ ...spec, secrets });

describe('signDelivery', () => {
  for (const [name, spec] of SPECS) {
    const signed = signDelivery(spec, { rawBody: BODY, now: NOW });

    it(`${name}: produces a delivery that verifyAuth accepts`, () => assert.deepEqual(verifyAuth([spec], delivered(signed)), { ok: true }));

    it(`${name}: signs with the first secret`, () => {
      assert.equal(codeOf(verifyAuth([withSecrets(spec, [spec.secrets[0] ?? ''])], delivered(signed))), 'OK');
      assert.notEqual(codeOf(verifyAuth([withSecrets(spec, [spec.secrets[1] ?? ''])], delivered(signed))), 'OK');
    });

    if (spec.type === 'hmac') {
      it(`${name}: the signature covers the body`, () =>
        assert.equal(codeOf(verifyAuth([spec], delivered(signed, NOW, Buffer.from('{"hello":"world"}')))), 'INVALID_SIGNATURE'));
    }

    const timestamped = spec.type === 'hmac' && TIMESTAMPED.has(spec.preset);
    it(`${name}: ${timestamped ? 'goes stale' : 'does not expire'} 1 ms beyond the tolerance`, () =>
      assert.equal(codeOf(verifyAuth([spec], delivered(signed, NOW + TOLERANCE + 1))), timestamped ? 'STALE_TIMESTAMP' : 'OK'));
  }

  it('puts the token in the path, url-encoded', () =>
    assert.deepEqual(signDelivery({ type: 'token', secrets: ['a/b c'] }, { rawBody: BODY, now: NOW }), {
      headers: {},
      pathSuffix: '/a%2Fb%20c',
    }));

  it('uses the webhook id it is given for standard-webhooks', () =>
    assert.equal(signDelivery(hmac('standard-webhooks'), { rawBody: BODY, now: NOW, webhookId: 'msg_1' }).headers['webhook-id'], 'msg_1'));

  it('refuses to sign without a secret', () =>
    assert.throws(() => signDelivery({ type: 'bearer', secrets: [] }, { rawBody: BODY, now: NOW }), /no secret/));
});

describe('verifyAuth', () => {
  const github = hmac('github');
  const bearer: AuthSpec = { type: 'bearer', secrets: ['first-bearer'] };
  const signedBearer = delivered(signDelivery(bearer, { rawBody: BODY, now: NOW }));

  it('passes when any one of several specs passes', () => assert.equal(codeOf(verifyAuth([github, bearer], signedBearer)), 'OK'));

  it("reports the first spec's failure when all fail", () => {
    const unsigned: AuthRequest = { rawBody: BODY, headers: {}, now: NOW };
    assert.equal(codeOf(verifyAuth([github, bearer], unsigned)), 'MISSING_SIGNATURE');
    assert.equal(codeOf(verifyAuth([bearer, github], unsigned)), 'UNAUTHORIZED');
  });

  it('fails closed when no spec is given', () => assert.equal(codeOf(verifyAuth([], signedBearer)), 'UNAUTHORIZED'));

  const HOSTILE: Array<string | string[]> = [
    '',
    ' ',
    [],
    ['a', 'b'],
    '\u0000',
    '🙂',
    '=',
    ',',
    'v1,',
    't=,v1=',
    'sha256=',
    'Bearer',
    'Basic ====',
    'x'.repeat(100_000),
  ];
  for (const [name, spec] of SPECS) {
    it(`${name}: answers a failure, never throws, and never reveals a secret or expected signature for hostile headers`, () => {
      const signed = signDelivery(spec, { rawBody: BODY, now: NOW });
      const revealing = [...spec.secrets, ...Object.values(signed.headers).filter((value) => value.length >= 16)];
      const requests: Array<[string, AuthRequest]> = [];
      for (const value of [undefined, ...HOSTILE]) {
        const label = JSON.stringify(value)?.slice(0, 40) ?? 'undefined';
        for (const header of Object.keys(signed.headers)) {
          const request = delivered(signed);
          request.headers[header] = value;
          requests.push([`${header}: ${label}`, request]);
        }
        if (spec.type === 'token' && !Array.isArray(value)) {
          const request = delivered(signed);
          request.pathToken = value;
          requests.push([`path token: ${label}`, request]);
        }
      }
      assert.ok(requests.length >= 10, 'every spec meets the hostile values');
      for (const [label, request] of requests) {
        const result = verifyAuth([spec], request);
        assert.equal(result.ok, false, label);
        if (result.ok) continue;
        assert.ok(['MISSING_SIGNATURE', 'INVALID_SIGNATURE', 'STALE_TIMESTAMP', 'UNAUTHORIZED'].includes(result.code), label);
        for (const secret of revealing) assert.ok(!result.message.includes(secret), `${label}: ${result.message}`);
      }
    });
  }

  it('never reveals the secret when a wrong credential is presented', () => {
    for (const [, spec] of SPECS) {
      const signed = signDelivery(withSecrets(spec, ['whsec_d3JvbmcgY3JlZGVudGlhbA==']), { rawBody: BODY, now: NOW });
      const result = verifyAuth([spec], delivered(signed));
      assert.equal(result.ok, false);
      for (const secret of spec.secrets) assert.ok(result.ok || !result.message.includes(secret), result.ok ? '' : result.message);
    }
  });
});
