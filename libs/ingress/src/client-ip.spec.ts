import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientIp, parseTrustProxy, type TrustProxy } from './client-ip.js';

describe('parseTrustProxy', () => {
  const cases: Array<[string | undefined, TrustProxy]> = [
    [undefined, false],
    ['', false],
    ['false', false],
    ['FALSE', false],
    ['0', false],
    ['true', { hops: 1 }],
    [' True ', { hops: 1 }],
    ['1', { hops: 1 }],
    ['3', { hops: 3 }],
    ['10.0.0.0/8', { cidrs: ['10.0.0.0/8'] }],
    ['10.0.0.0/8, 172.16.0.0/12 ,::1,fd00::/8', { cidrs: ['10.0.0.0/8', '172.16.0.0/12', '::1', 'fd00::/8'] }],
    ['127.0.0.1', { cidrs: ['127.0.0.1'] }],
  ];
  for (const [value, expected] of cases) {
    it(`reads ${JSON.stringify(value)}`, () => assert.deepEqual(parseTrustProxy(value), expected));
  }

  for (const [value, entry] of [
    ['yes', 'yes'],
    ['10.0.0.0/8,loopback', 'loopback'],
    ['10.0.0.0/8,', ''],
    ['10.0.0.0/40', '10.0.0.0/40'],
    ['-1', '-1'],
  ]) {
    it(`rejects ${JSON.stringify(value)} naming the bad entry`, () =>
      assert.throws(
        () => parseTrustProxy(value),
        (error: Error) => {
          assert.match(error.message, new RegExp(`^invalid trust proxy entry "${entry.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}"`));
          assert.match(error.message, /hop count/);
          return true;
        },
      ));
  }
});

describe('clientIp', () => {
  const proxies: TrustProxy = { cidrs: ['10.0.0.0/8', '2001:db8:ffff::/48'] };
  const cases: Array<[string, string, string | string[] | undefined, TrustProxy, string]> = [
    ['without trust, ignores a forged header', '198.51.100.1', '6.6.6.6', false, '198.51.100.1'],
    ['without trust, unwraps an IPv4-mapped peer', '::ffff:198.51.100.1', undefined, false, '198.51.100.1'],
    ['without trust, normalises an IPv6 peer', '2001:DB8:0:0::1', undefined, false, '2001:db8::1'],
    ['with one hop and no header, answers the peer', '10.0.0.1', undefined, { hops: 1 }, '10.0.0.1'],
    ['with one hop, takes the entry the proxy appended', '10.0.0.1', '203.0.113.7', { hops: 1 }, '203.0.113.7'],
    ['with one hop, ignores what the client prepended', '10.0.0.1', '6.6.6.6, 203.0.113.7', { hops: 1 }, '203.0.113.7'],
    ['with one hop, reads repeated headers as one list', '10.0.0.1', ['6.6.6.6', '203.0.113.7'], { hops: 1 }, '203.0.113.7'],
    ['with two hops, skips the second proxy', '10.0.0.1', '6.6.6.6, 203.0.113.7, 10.0.0.2', { hops: 2 }, '203.0.113.7'],
    ['with more hops than entries, stops at the left-most', '10.0.0.1', '203.0.113.7', { hops: 5 }, '203.0.113.7'],
    ['with zero hops, answers the peer', '10.0.0.1', '203.0.113.7', { hops: 0 }, '10.0.0.1'],
    ['with hops, stops before a garbage entry', '10.0.0.1', '<script>', { hops: 1 }, '10.0.0.1'],
    ['with hops, stops before garbage inside the trusted part', '10.0.0.1', '203.0.113.7, unknown', { hops: 2 }, '10.0.0.1'],
    ['with hops, skips empty entries', '10.0.0.1', '203.0.113.7, , ', { hops: 1 }, '203.0.113.7'],
    ['with CIDRs, an untrusted peer is the client whatever it claims', '198.51.100.1', '10.0.0.5', proxies, '198.51.100.1'],
    ['with CIDRs, walks past trusted proxies', '10.0.0.1', '203.0.113.7, 10.0.0.2', proxies, '203.0.113.7'],
    ['with CIDRs, a forged internal address left of the client is ignored', '10.0.0.1', '10.9.9.9, 203.0.113.7', proxies, '203.0.113.7'],
    [
      'with CIDRs, a forged client left of an untrusted hop is ignored',
      '10.0.0.1',
      '6.6.6.6, 198.51.100.1, 10.0.0.2',
      proxies,
      '198.51.100.1',
    ],
    ['with CIDRs, all trusted answers the left-most', '10.0.0.1', '10.0.0.3, 10.0.0.2', proxies, '10.0.0.3'],
    ['with CIDRs, trusts an IPv4-mapped peer', '::ffff:10.0.0.1', '203.0.113.7', proxies, '203.0.113.7'],
    ['with CIDRs, unwraps an IPv4-mapped entry', '10.0.0.1', '::ffff:203.0.113.7', proxies, '203.0.113.7'],
    ['with CIDRs, trusts IPv6 proxies', '2001:db8:ffff::1', '2001:db8:1::7', proxies, '2001:db8:1::7'],
    ['with CIDRs, stops before a garbage entry', '10.0.0.1', '203.0.113.7, evil, 10.0.0.2', proxies, '10.0.0.2'],
    ['with CIDRs, refuses a lax IPv4 spelling', '10.0.0.1', '127.1', proxies, '10.0.0.1'],
    ['reads an entry with a port', '10.0.0.1', '203.0.113.7:5678', { hops: 1 }, '203.0.113.7'],
    ['reads a bracketed IPv6 entry with a port', '10.0.0.1', '[2001:db8:1::7]:443', { hops: 1 }, '2001:db8:1::7'],
    ['with an empty trust list, trusts nobody', '10.0.0.1', '203.0.113.7', { cidrs: [] }, '10.0.0.1'],
    ['passes an unparsable peer through', 'garbage', '203.0.113.7', { hops: 1 }, 'garbage'],
  ];
  for (const [name, remote, forwardedFor, trust, expected] of cases) {
    it(name, () => assert.equal(clientIp(remote, forwardedFor, trust), expected));
  }
});
