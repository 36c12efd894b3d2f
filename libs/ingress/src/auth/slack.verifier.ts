// Slack signs `v0:<timestamp>:<body>` and sends the timestamp in its own header, so both headers
// are needed and the window is checked only once the signature proves the timestamp genuine.
import { authFailure } from './auth-failure.js';
import type { AuthRequest, AuthResult, HmacAuthSpec, SignRequest } from './auth.types.js';
import { decodeDigest, hmac, matchesAnySecret } from './hmac.js';
import { readHeader } from './read-header.js';
import { checkTolerance, parseUnixSeconds } from './timestamp.js';

const SIGNATURE_HEADER = 'x-slack-signature';
const TIMESTAMP_HEADER = 'x-slack-request-timestamp';
const VERSION = 'v0';

export function verifySlack(spec: HmacAuthSpec, request: AuthRequest): AuthResult {
  const signature = readHeader(request.headers, SIGNATURE_HEADER);
  if (!signature.ok) return signature;
  const timestamp = readHeader(request.headers, TIMESTAMP_HEADER);
  if (!timestamp.ok) return timestamp;
  if (!signature.value.startsWith(`${VERSION}=`)) {
    return authFailure('INVALID_SIGNATURE', `${SIGNATURE_HEADER} header must start with "${VERSION}="`);
  }
  const provided = decodeDigest(signature.value.slice(VERSION.length + 1), 'hex');
  if (provided === undefined) return authFailure('INVALID_SIGNATURE', `${SIGNATURE_HEADER} header is not a hex digest`);
  const seconds = parseUnixSeconds(timestamp.value);
  if (seconds === undefined) return authFailure('INVALID_SIGNATURE', `${TIMESTAMP_HEADER} is not a unix timestamp`);
  const matched = matchesAnySecret(spec.secrets, [provided], (secret) =>
    hmac('sha256', secret, `${VERSION}:${timestamp.value}:`, request.rawBody),
  );
  if (!matched) return authFailure('INVALID_SIGNATURE', `${SIGNATURE_HEADER} does not match any configured secret`);
  return checkTolerance(seconds, request.now, spec.toleranceMs, TIMESTAMP_HEADER);
}

export function signSlack(_spec: HmacAuthSpec, secret: string, request: SignRequest): Record<string, string> {
  const timestamp = String(Math.floor(request.now / 1000));
  const signature = hmac('sha256', secret, `${VERSION}:${timestamp}:`, request.rawBody).toString('hex');
  return { [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: `${VERSION}=${signature}` };
}
