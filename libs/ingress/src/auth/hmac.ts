// The HMAC primitives every preset shares, so that decoding is strict (Buffer.from silently skips
// bad characters) and every secret is tried against every signature without an early exit.
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import type { DigestEncoding, HmacAlgorithm } from './auth.types.js';
import { digestsEqual } from './constant-time.js';

export function hmac(algorithm: HmacAlgorithm, key: string | Uint8Array, ...parts: Array<string | Uint8Array>): Buffer {
  const mac = createHmac(algorithm, typeof key === 'string' ? keyObject(key) : key);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

/**
 * Secrets as key objects, made once: Node converts a string key on every createHmac otherwise,
 * which costs as much as the HMAC of a small body. Bounded, since reloads may bring new secrets.
 */
const keys = new Map<string, KeyObject>();
const MAX_KEYS = 1000;

function keyObject(secret: string): KeyObject {
  let key = keys.get(secret);
  if (!key) {
    if (keys.size >= MAX_KEYS) keys.clear();
    key = createSecretKey(secret, 'utf8');
    keys.set(secret, key);
  }
  return key;
}

const HEX = /^(?:[0-9a-fA-F]{2})+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The digest bytes, or undefined when `text` is not strictly `encoding`. */
export function decodeDigest(text: string, encoding: DigestEncoding): Buffer | undefined {
  if (text === '') return undefined;
  if (encoding === 'hex') return HEX.test(text) ? Buffer.from(text, 'hex') : undefined;
  return BASE64.test(text) ? Buffer.from(text, 'base64') : undefined;
}

/**
 * Whether any provided signature equals the one `sign` computes with any usable secret.
 * `sign` returns undefined for a secret that must never match (an empty key anyone could use).
 */
export function matchesAnySecret(
  secrets: readonly string[],
  provided: readonly Buffer[],
  sign: (secret: string) => Buffer | undefined,
): boolean {
  let matched = false;
  for (const secret of secrets) {
    if (secret === '') continue;
    const expected = sign(secret);
    if (expected === undefined) continue;
    for (const signature of provided) matched = digestsEqual(expected, signature) || matched;
  }
  return matched;
}
