import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loggedPath, type HookPaths } from './logged-path.js';

/** A registry with `shop/orders` (no token auth) and `tok/in` (token auth). */
const hooks: HookPaths = {
  findByPath(path) {
    if (path === 'shop/orders' || path === 'tok/in' || path === 'audit') return {};
    if (path.startsWith('tok/in/')) return { pathToken: path.slice('tok/in/'.length) };
    return undefined;
  },
};

describe('loggedPath', () => {
  const cases: Array<[string, string, string]> = [
    ['an API path without its query', '/api/runs?workflowId=x&cursor=abc', '/api/runs'],
    ['a hook path without its query', '/hooks/audit?token=hunter22', '/hooks/audit'],
    ['a hook path of several segments served as is', '/hooks/shop/orders', '/hooks/shop/orders'],
    ['a token-auth hook with its token masked', '/hooks/tok/in/s3cr3t-value', '/hooks/tok/in/***'],
    ['a token-auth hook with its token and query masked', '/hooks/tok/in/s3cr3t-value?x=1', '/hooks/tok/in/***'],
    ['an unknown hook path with its last segment masked', '/hooks/tok/typo/s3cr3t-value', '/hooks/tok/typo/***'],
    ['an unknown single-segment hook path as is', '/hooks/nothing', '/hooks/nothing'],
    ['the health probe', '/health', '/health'],
  ];
  for (const [name, url, expected] of cases) {
    it(`logs ${name}`, () => {
      assert.equal(loggedPath(url, hooks), expected);
    });
  }

  it('masks the last segment of multi-segment hook paths before the registry is known', () => {
    assert.equal(loggedPath('/hooks/tok/in/s3cr3t-value', undefined), '/hooks/tok/in/***');
  });
});
