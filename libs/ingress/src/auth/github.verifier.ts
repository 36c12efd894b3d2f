// GitHub signs the raw body alone, so there is no timestamp and replay protection is the
// delivery id's job (idempotencyKey), not this verifier's.
import { AUTH_OK, authFailure } from './auth-failure.js';
import type { AuthRequest, AuthResult, HmacAuthSpec, SignRequest } from './auth.types.js';
import { decodeDigest, hmac, matchesAnySecret } from './hmac.js';
import { readHeader } from './read-header.js';

const HEADER = 'x-hub-signature-256';
const PREFIX = 'sha256=';

export function verifyGithub(spec: HmacAuthSpec, request: AuthRequest): AuthResult {
  const header = readHeader(request.headers, HEADER);
  if (!header.ok) return header;
  if (!header.value.startsWith(PREFIX)) return authFailure('INVALID_SIGNATURE', `${HEADER} header must start with "${PREFIX}"`);
  const provided = decodeDigest(header.value.slice(PREFIX.length), 'hex');
  if (provided === undefined) return authFailure('INVALID_SIGNATURE', `${HEADER} header is not a hex digest`);
  const matched = matchesAnySecret(spec.secrets, [provided], (secret) => hmac('sha256', secret, request.rawBody));
  return matched ? AUTH_OK : authFailure('INVALID_SIGNATURE', `${HEADER} does not match any configured secret`);
}

export function signGithub(_spec: HmacAuthSpec, secret: string, request: SignRequest): Record<string, string> {
  return { [HEADER]: PREFIX + hmac('sha256', secret, request.rawBody).toString('hex') };
}
