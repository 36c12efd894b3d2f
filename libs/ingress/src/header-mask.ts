// What a delivery record may keep of a request: headers with credentials and signatures masked
// (the delivery log is readable through the API, so a stored signature or token would leak a
// way to forge or replay), and a body capped for rejected deliveries.
import { MASK } from '#libs/engine';

const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);
const SECRET_PARTS = ['signature', 'hmac', 'token', 'secret', 'api-key', 'apikey', 'api_key', 'password'];

/** Header names seen so far (lower case) and whether each is a secret: senders repeat the same few names. */
const secretNames = new Map<string, boolean>();
const MAX_REMEMBERED_NAMES = 1000;

function isSecret(name: string): boolean {
  let secret = secretNames.get(name);
  if (secret === undefined) {
    secret = SECRET_HEADERS.has(name) || SECRET_PARTS.some((part) => name.includes(part));
    if (secretNames.size >= MAX_REMEMBERED_NAMES) secretNames.clear();
    secretNames.set(name, secret);
  }
  return secret;
}

/** `alsoSecret`: more header names to mask (lower case), such as a workflow's own auth header. */
export function maskHeaders(
  headers: Record<string, string | string[] | undefined>,
  alsoSecret: readonly string[] = [],
): Record<string, string> {
  const masked: Record<string, string> = {};
  for (const rawName of Object.keys(headers)) {
    const value = headers[rawName];
    if (value === undefined) continue;
    const name = rawName.toLowerCase();
    const secret = isSecret(name) || alsoSecret.includes(name);
    const text = Array.isArray(value) ? value.join(', ') : value;
    const kept = secret ? MASK : text;
    // Two spellings of one name (`X-A` and `x-a`) are one header.
    masked[name] = Object.hasOwn(masked, name) && !secret ? `${masked[name]}, ${kept}` : kept;
  }
  return masked;
}

/** The first `max` bytes as UTF-8, cut back to a character boundary so no character is split. */
export function truncateBody(raw: Buffer, max: number): { body: string; truncated: boolean } {
  if (raw.length <= max) return { body: raw.toString('utf8'), truncated: false };
  let end = Math.max(0, Math.floor(max));
  // A continuation byte (10xxxxxx) at the cut means a character straddles it; UTF-8 characters
  // are at most four bytes, so back off at most three.
  for (let steps = 0; end > 0 && steps < 3 && (raw[end]! & 0xc0) === 0x80; steps++) end--;
  return { body: raw.subarray(0, end).toString('utf8'), truncated: true };
}
