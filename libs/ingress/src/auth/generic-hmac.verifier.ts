// For senders with no preset: every knob of a raw-body HMAC is configurable, and nothing else is,
// because a scheme that also signs a timestamp needs a preset that knows where the timestamp lives.
import { AUTH_OK, authFailure } from './auth-failure.js';
import type { AuthRequest, AuthResult, HmacAuthSpec, SignRequest } from './auth.types.js';
import { decodeDigest, hmac, matchesAnySecret } from './hmac.js';
import { readHeader } from './read-header.js';

function settings(spec: HmacAuthSpec) {
  return {
    header: (spec.header ?? 'x-signature').toLowerCase(),
    algorithm: spec.algorithm ?? 'sha256',
    encoding: spec.encoding ?? 'hex',
    prefix: spec.prefix ?? '',
  };
}

export function verifyGenericHmac(spec: HmacAuthSpec, request: AuthRequest): AuthResult {
  const { header: name, algorithm, encoding, prefix } = settings(spec);
  const header = readHeader(request.headers, name);
  if (!header.ok) return header;
  if (!header.value.startsWith(prefix)) return authFailure('INVALID_SIGNATURE', `${name} header must start with "${prefix}"`);
  const provided = decodeDigest(header.value.slice(prefix.length), encoding);
  if (provided === undefined) return authFailure('INVALID_SIGNATURE', `${name} header is not a ${encoding} digest`);
  const matched = matchesAnySecret(spec.secrets, [provided], (secret) => hmac(algorithm, secret, request.rawBody));
  return matched ? AUTH_OK : authFailure('INVALID_SIGNATURE', `${name} does not match any configured secret`);
}

export function signGenericHmac(spec: HmacAuthSpec, secret: string, request: SignRequest): Record<string, string> {
  const { header, algorithm, encoding, prefix } = settings(spec);
  return { [header]: prefix + hmac(algorithm, secret, request.rawBody).toString(encoding) };
}
