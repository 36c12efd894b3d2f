// Stripe keys the HMAC with the whole `whsec_…` string (unlike Standard Webhooks, which decodes
// it) and may list several v1 signatures while it rolls a secret; any one of them may match.
import { authFailure } from './auth-failure.js';
import type { AuthRequest, AuthResult, HmacAuthSpec, SignRequest } from './auth.types.js';
import { decodeDigest, hmac, matchesAnySecret } from './hmac.js';
import { readHeader } from './read-header.js';
import { checkTolerance, parseUnixSeconds } from './timestamp.js';

const HEADER = 'stripe-signature';

export function verifyStripe(spec: HmacAuthSpec, request: AuthRequest): AuthResult {
  const header = readHeader(request.headers, HEADER);
  if (!header.ok) return header;
  let timestamp: string | undefined;
  const provided: Buffer[] = [];
  for (const item of header.value.split(',')) {
    const eq = item.indexOf('=');
    if (eq < 0) continue;
    const key = item.slice(0, eq).trim();
    const value = item.slice(eq + 1).trim();
    if (key === 't') {
      if (timestamp !== undefined) return authFailure('INVALID_SIGNATURE', `${HEADER} header has more than one t=`);
      timestamp = value;
    } else if (key === 'v1') {
      const digest = decodeDigest(value, 'hex');
      if (digest !== undefined) provided.push(digest);
    }
  }
  if (timestamp === undefined) return authFailure('INVALID_SIGNATURE', `${HEADER} header has no t= timestamp`);
  const seconds = parseUnixSeconds(timestamp);
  if (seconds === undefined) return authFailure('INVALID_SIGNATURE', `${HEADER} t= is not a unix timestamp`);
  if (provided.length === 0) return authFailure('INVALID_SIGNATURE', `${HEADER} header has no v1= hex signature`);
  const signedTimestamp = timestamp;
  const matched = matchesAnySecret(spec.secrets, provided, (secret) => hmac('sha256', secret, `${signedTimestamp}.`, request.rawBody));
  if (!matched) return authFailure('INVALID_SIGNATURE', `${HEADER} does not match any configured secret`);
  return checkTolerance(seconds, request.now, spec.toleranceMs, `${HEADER} timestamp`);
}

export function signStripe(_spec: HmacAuthSpec, secret: string, request: SignRequest): Record<string, string> {
  const timestamp = String(Math.floor(request.now / 1000));
  const signature = hmac('sha256', secret, `${timestamp}.`, request.rawBody).toString('hex');
  return { [HEADER]: `t=${timestamp},v1=${signature}` };
}
