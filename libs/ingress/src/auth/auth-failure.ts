// Results are values, not exceptions: a bad signature is an expected outcome of every request.
import type { AuthFailure, AuthFailureCode, AuthResult } from './auth.types.js';

export const AUTH_OK: AuthResult = Object.freeze({ ok: true });

export function authFailure(code: AuthFailureCode, message: string): AuthFailure {
  return { ok: false, code, message };
}
