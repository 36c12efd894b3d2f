// Timestamped schemes stop replays only if the window is enforced both ways: a timestamp far in
// the future would otherwise stay replayable for as long as it is ahead of the clock.
import { AUTH_OK, authFailure } from './auth-failure.js';
import type { AuthResult } from './auth.types.js';

const UNIX_SECONDS = /^\d{1,12}$/;

export function parseUnixSeconds(text: string): number | undefined {
  return UNIX_SECONDS.test(text) ? Number(text) : undefined;
}

export function checkTolerance(seconds: number, now: number, toleranceMs: number, what: string): AuthResult {
  const skewMs = now - seconds * 1000;
  if (Math.abs(skewMs) <= toleranceMs) return AUTH_OK;
  const direction = skewMs > 0 ? 'old' : 'in the future';
  return authFailure('STALE_TIMESTAMP', `${what} is ${Math.abs(skewMs) / 1000}s ${direction}, beyond the ${toleranceMs / 1000}s tolerance`);
}
