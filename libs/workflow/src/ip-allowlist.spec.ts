import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileAllowlist, parseIpAddress } from './ip-allowlist.js';

describe('compileAllowlist', () => {
  const cases: Array<[string[], string, boolean]> = [
    [[], '203.0.113.7', true],
    [[], '::1', true],
    [['192.30.252.0/22'], '192.30.252.1', true],
    [['192.30.252.0/22'], '192.30.255.255', true],
    [['192.30.252.0/22'], '192.30.256.1', false],
    [['192.30.252.0/22'], '192.31.0.1', false],
    [['192.30.252.0/22'], '::ffff:192.30.253.9', true],
    [['192.30.252.0/22'], '::FFFF:192.31.0.1', false],
    [['192.30.252.0/22'], '::ffff:c01e:fc01', true],
    [['203.0.113.7'], '203.0.113.7', true],
    [['203.0.113.7'], '203.0.113.8', false],
    [['203.0.113.7/32'], '203.0.113.7', true],
    [['0.0.0.0/0'], '8.8.8.8', true],
    [['0.0.0.0/0'], '2001:db8::1', false],
    [['2a0a:a440::/29'], '2a0a:a440::1', true],
    [['2a0a:a440::/29'], '2a0a:a447:ffff::1', true],
    [['2a0a:a440::/29'], '2a0a:a448::1', false],
    [['2001:db8::1'], '2001:0db8:0000::0001', true],
    [['2001:db8::/32'], '192.0.2.1', false],
    [['::ffff:10.0.0.0/104'], '10.1.2.3', true],
    [['::ffff:10.0.0.0/104'], '11.1.2.3', false],
    [['10.0.0.0/8', '2001:db8::/32'], '2001:db8::5', true],
    [['10.0.0.0/8', '2001:db8::/32'], '10.200.0.1', true],
    [['10.0.0.0/8'], 'not-an-ip', false],
    [['10.0.0.0/8'], '', false],
    [['10.0.0.0/8'], '10.1', false],
    [['10.0.0.0/8'], '012.0.0.1', false],
    [['10.0.0.0/8'], '10.0.0.1/8', false],
    [['127.0.0.0/8'], ' 127.0.0.1 ', true],
  ];
  for (const [entries, ip, expected] of cases) {
    it(`${JSON.stringify(entries)} ${expected ? 'allows' : 'refuses'} ${JSON.stringify(ip)}`, () =>
      assert.equal(compileAllowlist(entries)(ip), expected));
  }

  for (const entry of ['10.0.0.0/33', '2001:db8::/129', '10.0.0.0/', '10.0.0.0/08', '10.1', 'localhost', '', '::ffff:10.0.0.0/95']) {
    it(`throws for the invalid entry ${JSON.stringify(entry)}`, () =>
      assert.throws(() => compileAllowlist(['10.0.0.0/8', entry]), {
        message: `invalid IP address or CIDR range "${entry}"`,
      }));
  }
});

describe('parseIpAddress', () => {
  const cases: Array<[string, string | undefined]> = [
    ['1.2.3.4', '1.2.3.4'],
    ['::ffff:1.2.3.4', '1.2.3.4'],
    ['2001:DB8:0:0::1', '2001:db8::1'],
    ['1.2.3', undefined],
    ['0x7f.0.0.1', undefined],
    ['1.2.3.4 ', undefined],
    ['', undefined],
  ];
  for (const [text, expected] of cases) {
    it(`reads ${JSON.stringify(text)} as ${expected ?? 'invalid'}`, () => assert.equal(parseIpAddress(text)?.toString(), expected));
  }
});
