// Signature headers arrive from the open internet: one place decides what counts as absent,
// duplicated or absurdly long, so no verifier parses a hostile value by accident.
import { authFailure } from './auth-failure.js';
import type { AuthFailure, AuthRequest } from './auth.types.js';

/** No provider's signature header comes near this; anything longer is rejected before parsing. */
export const MAX_HEADER_LENGTH = 8192;

export function readHeader(headers: AuthRequest['headers'], name: string): { ok: true; value: string } | AuthFailure {
  const raw = headers[name.toLowerCase()];
  if (raw === undefined || (Array.isArray(raw) && raw.length === 0)) {
    return authFailure('MISSING_SIGNATURE', `${name} header is missing`);
  }
  if (Array.isArray(raw)) return authFailure('INVALID_SIGNATURE', `${name} header was sent more than once`);
  const value = raw.trim();
  if (value === '') return authFailure('MISSING_SIGNATURE', `${name} header is empty`);
  if (value.length > MAX_HEADER_LENGTH) {
    return authFailure('INVALID_SIGNATURE', `${name} header is longer than ${MAX_HEADER_LENGTH} characters`);
  }
  return { ok: true, value };
}
