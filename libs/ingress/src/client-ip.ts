// Works out the client's address behind reverse proxies without letting the client choose it.
// X-Forwarded-For is written by whoever sent the request, so only the entries appended by
// proxies we trust count: we walk from the right (the socket's peer) past trusted hops, and the
// first address we do not trust is the client. The left-most entry is never believed just
// because it is first; that is the one a spoofer writes.
import { compileAllowlist, parseIpAddress, type IpAddress } from '#libs/workflow';

export type TrustProxy = false | { hops: number } | { cidrs: string[] };

/** Reads HOOKFLOW_TRUST_PROXY: unset, `false` or `0`; `true` (one hop); a hop count; or a CIDR list. */
export function parseTrustProxy(value: string | undefined): TrustProxy {
  const text = (value ?? '').trim();
  const lower = text.toLowerCase();
  if (lower === '' || lower === 'false' || lower === '0') return false;
  if (lower === 'true') return { hops: 1 };
  if (/^\d+$/.test(text)) return { hops: Number(text) };
  const cidrs = text.split(',').map((entry) => entry.trim());
  for (const entry of cidrs) {
    try {
      compileAllowlist([entry]);
    } catch {
      throw new Error(
        `invalid trust proxy entry "${entry}" in "${text}": expected true, false, a hop count, or comma-separated IP addresses and CIDR ranges`,
      );
    }
  }
  return { cidrs };
}

/** Socket peers as formatted before: a sender's connection brings one address many times. */
const formattedPeers = new Map<string, string>();
const MAX_REMEMBERED_PEERS = 1000;

export function clientIp(remoteAddress: string, forwardedFor: string | string[] | undefined, trust: TrustProxy): string {
  if (trust === false) {
    let formatted = formattedPeers.get(remoteAddress);
    if (formatted === undefined) {
      const remote = parseIpAddress(remoteAddress.trim());
      formatted = remote ? format(remote) : remoteAddress;
      if (formattedPeers.size >= MAX_REMEMBERED_PEERS) formattedPeers.clear();
      formattedPeers.set(remoteAddress, formatted);
    }
    return formatted;
  }
  const remote = parseIpAddress(remoteAddress.trim());
  // A socket always has a valid peer; if not, there is nothing better to say than what it reported.
  if (!remote) return remoteAddress;

  const chain = forwardedEntries(forwardedFor);
  if ('hops' in trust) {
    // The remote address is hop 1, so after N trusted hops the client is N entries left of the end.
    return walk(remote, chain, (_address, hopsSkipped) => hopsSkipped < trust.hops);
  }
  const trusted = compiledTrust(trust.cidrs);
  return walk(remote, chain, (address) => trusted(format(address)));
}

/**
 * Walks from the remote address leftwards through X-Forwarded-For while `isTrusted` says the
 * current address is a proxy to look past. Stops at the first untrusted address, at the
 * left-most entry, or before an entry that is not an address (the last valid one wins).
 */
function walk(remote: IpAddress, chain: string[], isTrusted: (address: IpAddress, hopsSkipped: number) => boolean): string {
  let current = remote;
  for (let index = chain.length - 1, skipped = 0; index >= 0 && isTrusted(current, skipped); index--, skipped++) {
    const next = parseForwardedEntry(chain[index]!);
    if (!next) break;
    current = next;
  }
  return format(current);
}

function forwardedEntries(forwardedFor: string | string[] | undefined): string[] {
  if (forwardedFor === undefined) return [];
  const joined = Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor;
  return joined
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

/** Some proxies (Azure, for one) append a port: `1.2.3.4:5678`, `[2001:db8::1]:443`. */
function parseForwardedEntry(entry: string): IpAddress | undefined {
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(entry);
  if (bracketed) return parseIpAddress(bracketed[1]!);
  const ipv4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(entry);
  if (ipv4WithPort) return parseIpAddress(ipv4WithPort[1]!);
  return parseIpAddress(entry);
}

function format(address: IpAddress): string {
  return address.toString();
}

const compiled = new WeakMap<string[], (ip: string) => boolean>();

function compiledTrust(cidrs: string[]): (ip: string) => boolean {
  let matcher = compiled.get(cidrs);
  if (!matcher) {
    // An empty allowlist allows everything; an empty trust list must trust nothing.
    matcher = cidrs.length === 0 ? () => false : compileAllowlist(cidrs);
    compiled.set(cidrs, matcher);
  }
  return matcher;
}
