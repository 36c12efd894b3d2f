import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { maskHeaders, truncateBody } from './header-mask.js';

describe('maskHeaders', () => {
  const masked = [
    'Authorization',
    'proxy-authorization',
    'Cookie',
    'set-cookie',
    'X-Hub-Signature-256',
    'x-hub-signature',
    'Stripe-Signature',
    'webhook-signature',
    'X-Shopify-Hmac-Sha256',
    'X-Slack-Signature',
    'X-Gitlab-Token',
    'x-webhook-secret',
    'X-API-Key',
    'x-apikey',
    'x-api_key',
    'x-password',
  ];
  for (const name of masked) {
    it(`masks ${name}`, () => assert.deepEqual(maskHeaders({ [name]: 'sensitive' }), { [name.toLowerCase()]: '***' }));
  }

  const kept = [
    'content-type',
    'user-agent',
    'x-github-event',
    'webhook-id',
    'webhook-timestamp',
    'x-slack-request-timestamp',
    'x-request-id',
  ];
  for (const name of kept) {
    it(`keeps ${name}`, () => assert.deepEqual(maskHeaders({ [name]: 'value' }), { [name]: 'value' }));
  }

  it('lower-cases names, joins arrays and drops undefined values', () =>
    assert.deepEqual(
      maskHeaders({
        'Content-Type': 'application/json',
        'X-Forwarded-For': ['1.1.1.1', '2.2.2.2'],
        'X-None': undefined,
      }),
      {
        'content-type': 'application/json',
        'x-forwarded-for': '1.1.1.1, 2.2.2.2',
      },
    ));

  it("masks the names it is also given (a workflow's own auth header), in any spelling", () =>
    assert.deepEqual(maskHeaders({ 'X-Partner-Key': 'k', 'x-digest': 'd', 'x-other': 'o' }, ['x-partner-key', 'x-digest']), {
      'x-partner-key': '***',
      'x-digest': '***',
      'x-other': 'o',
    }));

  it('masks every value of a repeated secret header', () =>
    assert.deepEqual(maskHeaders({ 'set-cookie': ['a=1', 'b=2'] }), { 'set-cookie': '***' }));

  it('keeps a header named like an Object property as sent', () =>
    assert.deepEqual(maskHeaders({ constructor: 'a', toString: 'b' }), { constructor: 'a', tostring: 'b' }));

  it('joins two spellings of the same name', () => assert.deepEqual(maskHeaders({ 'X-A': '1', 'x-a': '2' }), { 'x-a': '1, 2' }));

  it('masks a secret sent under two spellings', () =>
    assert.deepEqual(maskHeaders({ Authorization: 'Bearer a', authorization: 'Bearer b' }), { authorization: '***' }));
});

describe('truncateBody', () => {
  const cases: Array<[string, string | Buffer, number, { body: string; truncated: boolean }]> = [
    ['keeps a body under the cap', 'hello', 10, { body: 'hello', truncated: false }],
    ['keeps a body of exactly the cap', 'hello', 5, { body: 'hello', truncated: false }],
    ['cuts a body over the cap', 'hello world', 5, { body: 'hello', truncated: true }],
    ['keeps an empty body', '', 0, { body: '', truncated: false }],
    ['cuts to nothing at a zero cap', 'a', 0, { body: '', truncated: true }],
    ['backs off a split two-byte character', 'aé', 2, { body: 'a', truncated: true }],
    ['keeps a whole two-byte character', 'aéb', 3, { body: 'aé', truncated: true }],
    ['backs off a split four-byte character', 'a😀b', 4, { body: 'a', truncated: true }],
    ['backs off a four-byte character split after its first byte', 'a😀b', 2, { body: 'a', truncated: true }],
    ['keeps a whole four-byte character', 'a😀b', 5, { body: 'a😀', truncated: true }],
    [
      'does not loop on stray continuation bytes',
      Buffer.from([0x61, 0x80, 0x80, 0x80, 0x80, 0x80]),
      5,
      { body: 'a\ufffd', truncated: true },
    ],
  ];
  for (const [name, raw, max, expected] of cases) {
    it(name, () => assert.deepEqual(truncateBody(Buffer.from(raw), max), expected));
  }
});
