// Shopify signs the raw body alone and sends the digest in base64, not hex.
import { AUTH_OK, authFailure } from './auth-failure.js';
import type { AuthRequest, AuthResult, HmacAuthSpec, SignRequest } from './auth.types.js';
import { decodeDigest, hmac, matchesAnySecret } from './hmac.js';
import { readHeader } from './read-header.js';

const HEADER = 'x-shopify-hmac-sha256';

export function verifyShopify(spec: HmacAuthSpec, request: AuthRequest): AuthResult {
  const header = readHeader(request.headers, HEADER);
  if (!header.ok) return header;
  const provided = decodeDigest(header.value, 'base64');
  if (provided === undefined) return authFailure('INVALID_SIGNATURE', `${HEADER} header is not a base64 digest`);
  const matched = matchesAnySecret(spec.secrets, [provided], (secret) => hmac('sha256', secret, request.rawBody));
  return matched ? AUTH_OK : authFailure('INVALID_SIGNATURE', `${HEADER} does not match any configured secret`);
}

export function signShopify(_spec: HmacAuthSpec, secret: string, request: SignRequest): Record<string, string> {
  return { [HEADER]: hmac('sha256', secret, request.rawBody).toString('base64') };
}
