export { IngressModule } from './ingress.module.js';
export { HooksService, type HookAnswer, type IncomingHook } from './hooks.service.js';
export { INGRESS_STATUS, type IngressErrorCode } from './ingress.errors.js';
export { signDelivery, verifyAuth, constantTimeEqual, type AuthSpec } from './auth/index.js';
export { parseTrustProxy } from './client-ip.js';
export { HooksHttpHandler } from './hooks.http.js';
