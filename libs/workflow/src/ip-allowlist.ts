// IP parsing and CIDR matching shared by the `allowIps` check and the trusted-proxy list.
// Parsing is strict (four-part decimal IPv4, no `10.1` or octal `010.0.0.1` that ipaddr.js would
// otherwise accept), and IPv4-mapped IPv6 addresses are treated as the IPv4 address they carry,
// because a dual-stack socket reports IPv4 clients as `::ffff:a.b.c.d`.
import ipaddr from 'ipaddr.js';

export type IpAddress = ipaddr.IPv4 | ipaddr.IPv6;

/** The address, with IPv4-mapped IPv6 unwrapped to IPv4, or undefined when `text` is not one. */
export function parseIpAddress(text: string): IpAddress | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text);
  if (!ipaddr.IPv6.isValid(text)) return undefined;
  const address = ipaddr.IPv6.parse(text);
  return address.isIPv4MappedAddress() ? address.toIPv4Address() : address;
}

type Range = [IpAddress, number];

function parseRange(entry: string): Range | undefined {
  const text = entry.trim();
  const slash = text.indexOf('/');
  if (slash === -1) {
    const address = parseIpAddress(text);
    return address && [address, address.kind() === 'ipv4' ? 32 : 128];
  }
  const address = parseIpAddress(text.slice(0, slash));
  const bitsText = text.slice(slash + 1);
  if (!address || !/^(0|[1-9]\d{0,2})$/.test(bitsText)) return undefined;
  const bits = Number(bitsText);
  if (address.kind() === 'ipv4') {
    // An IPv4-mapped range such as ::ffff:10.0.0.0/104 was unwrapped to IPv4 by parseIpAddress.
    const mapped = text.slice(0, slash).includes(':');
    const ipv4Bits = mapped ? bits - 96 : bits;
    return ipv4Bits >= 0 && ipv4Bits <= 32 ? [address, ipv4Bits] : undefined;
  }
  return bits <= 128 ? [address, bits] : undefined;
}

/** Throws for an entry that is neither an address nor a CIDR range: config is checked at boot. */
export function compileAllowlist(entries: string[]): (ip: string) => boolean {
  if (entries.length === 0) return () => true;
  const ranges = entries.map((entry) => {
    const range = parseRange(entry);
    if (!range) throw new Error(`invalid IP address or CIDR range "${entry}"`);
    return range;
  });
  return (ip) => {
    const address = parseIpAddress(ip.trim());
    if (!address) return false;
    return ranges.some(([network, bits]) => network.kind() === address.kind() && address.match(network, bits));
  };
}
