// The auth area's public surface; verifiers and their helpers stay internal.
export { signDelivery, verifyAuth } from './auth.js';
export { constantTimeEqual } from './constant-time.js';
export type {
  AuthFailure,
  AuthFailureCode,
  AuthRequest,
  AuthResult,
  AuthSpec,
  DigestEncoding,
  HmacAlgorithm,
  HmacAuthSpec,
  HmacPreset,
  SignedDelivery,
  SignRequest,
} from './auth.types.js';
