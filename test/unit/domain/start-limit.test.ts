import { describe, expect, it } from 'vitest';
import { startLimitKey } from '../../../lambdas/domain/start-limit.js';

describe('the start limit key of an address', () => {
  it.each([
    ['an IPv4 address, as is', '203.0.113.7', '203.0.113.7'],
    ['an IPv6 address, by its /64', '2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['a compressed IPv6 address, expanded', '2001:db8::1', '2001:db8:0:0::/64'],
    ['upper case and leading zeros, normalised', '2001:0DB8:00AA:0000:FFFF::1', '2001:db8:aa:0::/64'],
    ['an address starting with ::', '::1', '0:0:0:0::/64'],
    ['an IPv4-mapped IPv6 address, as its IPv4 address', '::ffff:203.0.113.7', '203.0.113.7'],
    ['an IPv4-mapped address in hex', '::FFFF:cb00:7107', '203.0.113.7'],
    ['a bracketed address with a zone', '[fe80::1%eth0]', 'fe80:0:0:0::/64'],
    ['an embedded IPv4 that is not mapped, as IPv6', '64:ff9b::203.0.113.7', '64:ff9b:0:0::/64'],
    ['something that is no address, as given', 'unknown', 'unknown'],
  ])('keys %s', (_case, address, key) => {
    expect(startLimitKey(address)).toBe(key);
  });

  it('puts every address of one /64 in one bucket and the next /64 in another', () => {
    expect(startLimitKey('2001:db8:aa:bb::1')).toBe(startLimitKey('2001:db8:aa:bb:ffff:ffff:ffff:ffff'));
    expect(startLimitKey('2001:db8:aa:bb::1')).not.toBe(startLimitKey('2001:db8:aa:bc::1'));
  });
});
