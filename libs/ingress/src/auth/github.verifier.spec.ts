import { sign } from '@octokit/webhooks-methods';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import type { AuthRequest, AuthResult, HmacAuthSpec } from './auth.types.js';
import { verifyGithub } from './github.verifier.js';

const NOW = 1_700_000_000_000;
const spec = (...secrets: string[]): HmacAuthSpec => ({
  type: 'hmac',
  preset: 'github',
  secrets,
  toleranceMs: 300_000,
});
const request = (signature: AuthRequest['headers'][string], body = 'Hello, World!'): AuthRequest => ({
  rawBody: Buffer.from(body),
  headers: { 'x-hub-signature-256': signature },
  now: NOW,
});
const codeOf = (result: AuthResult) => (result.ok ? 'OK' : result.code);
const hex = (secret: string, body: string) => createHmac('sha256', secret).update(body).digest('hex');

describe('verifyGithub', () => {
  it("accepts GitHub's documented example signature", () =>
    assert.deepEqual(
      verifyGithub(spec("It's a Secret to Everybody"), request('sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17')),
      { ok: true },
    ));

  it('accepts a signature made by @octokit/webhooks-methods', async () => {
    const body = JSON.stringify({ ref: 'refs/heads/main', message: 'héllo ✓' });
    const signature = await sign('octo-secret', body);
    assert.deepEqual(verifyGithub(spec('octo-secret'), request(signature, body)), { ok: true });
  });

  it('accepts a signature made with any of the rotated secrets', () => {
    assert.deepEqual(verifyGithub(spec('old', 'new'), request(`sha256=${hex('old', 'x')}`, 'x')), { ok: true });
    assert.deepEqual(verifyGithub(spec('old', 'new'), request(`sha256=${hex('new', 'x')}`, 'x')), { ok: true });
  });

  it('rejects a signature made with a secret that is not configured', () =>
    assert.equal(codeOf(verifyGithub(spec('old', 'new'), request(`sha256=${hex('other', 'x')}`, 'x'))), 'INVALID_SIGNATURE'));

  it('rejects a body changed after signing', () => {
    const result = verifyGithub(spec('s'), request(`sha256=${hex('s', '{"a":1}')}`, '{"a":2}'));
    assert.deepEqual(result, {
      ok: false,
      code: 'INVALID_SIGNATURE',
      message: 'x-hub-signature-256 does not match any configured secret',
    });
  });

  it('never matches with an empty secret, even a signature made with an empty key', () =>
    assert.equal(codeOf(verifyGithub(spec(''), request(`sha256=${hex('', 'x')}`, 'x'))), 'INVALID_SIGNATURE'));

  const good = `sha256=${hex('s', 'x')}`;
  const malformed: Array<[string, AuthRequest['headers'][string], string]> = [
    ['a missing header', undefined, 'MISSING_SIGNATURE'],
    ['an empty header', '', 'MISSING_SIGNATURE'],
    ['a blank header', '   ', 'MISSING_SIGNATURE'],
    ['an empty array', [], 'MISSING_SIGNATURE'],
    ['the header sent twice', [good, good], 'INVALID_SIGNATURE'],
    ['the sha1 scheme', `sha1=${createHmac('sha1', 's').update('x').digest('hex')}`, 'INVALID_SIGNATURE'],
    ['no scheme prefix', hex('s', 'x'), 'INVALID_SIGNATURE'],
    ['a prefix with no digest', 'sha256=', 'INVALID_SIGNATURE'],
    ['a digest truncated by one byte', good.slice(0, -2), 'INVALID_SIGNATURE'],
    ['a digest of odd length', good.slice(0, -1), 'INVALID_SIGNATURE'],
    ['a non-hex digest', `sha256=${'z'.repeat(64)}`, 'INVALID_SIGNATURE'],
    ['a 100 KB header', `sha256=${'a'.repeat(100_000)}`, 'INVALID_SIGNATURE'],
  ];
  for (const [name, header, code] of malformed) {
    it(`answers ${code} for ${name}`, () => assert.equal(codeOf(verifyGithub(spec('s'), request(header, 'x'))), code));
  }
});
