// The one entry point the ingress and the CLI use: typed tables map every preset to its verifier
// and signer, so adding a preset without both fails to compile.
import { authFailure } from './auth-failure.js';
import type {
  AuthFailure,
  AuthRequest,
  AuthResult,
  AuthSpec,
  HmacAuthSpec,
  HmacPreset,
  SignedDelivery,
  SignRequest,
} from './auth.types.js';
import { signGenericHmac, verifyGenericHmac } from './generic-hmac.verifier.js';
import { signGithub, verifyGithub } from './github.verifier.js';
import { signShopify, verifyShopify } from './shopify.verifier.js';
import { signSlack, verifySlack } from './slack.verifier.js';
import { signStandardWebhooks, verifyStandardWebhooks } from './standard-webhooks.verifier.js';
import { signStripe, verifyStripe } from './stripe.verifier.js';
import { signToken, verifyToken } from './token.verifier.js';

interface HmacScheme {
  verify(spec: HmacAuthSpec, request: AuthRequest): AuthResult;
  sign(spec: HmacAuthSpec, secret: string, request: SignRequest): Record<string, string>;
}

const HMAC_SCHEMES: Record<HmacPreset, HmacScheme> = {
  github: { verify: verifyGithub, sign: signGithub },
  stripe: { verify: verifyStripe, sign: signStripe },
  'standard-webhooks': { verify: verifyStandardWebhooks, sign: signStandardWebhooks },
  shopify: { verify: verifyShopify, sign: signShopify },
  slack: { verify: verifySlack, sign: signSlack },
  generic: { verify: verifyGenericHmac, sign: signGenericHmac },
};

/**
 * Passes when any one spec passes; otherwise reports the first spec's failure. An empty list
 * fails: a caller with no auth configured should not call this, and forgetting must not open the hook.
 */
export function verifyAuth(specs: readonly AuthSpec[], request: AuthRequest): AuthResult {
  let firstFailure: AuthFailure | undefined;
  for (const spec of specs) {
    const result = spec.type === 'hmac' ? HMAC_SCHEMES[spec.preset].verify(spec, request) : verifyToken(spec, request);
    if (result.ok) return result;
    firstFailure ??= result;
  }
  return firstFailure ?? authFailure('UNAUTHORIZED', 'no authentication method is configured');
}

/** A delivery that `verifyAuth([spec], …)` accepts, signed with the spec's first secret. */
export function signDelivery(spec: AuthSpec, request: SignRequest): SignedDelivery {
  const secret = spec.secrets[0];
  if (secret === undefined || secret === '') throw new Error(`cannot sign a delivery: the ${spec.type} auth has no secret`);
  if (spec.type !== 'hmac') return signToken(spec, secret);
  return { headers: HMAC_SCHEMES[spec.preset].sign(spec, secret, request) };
}
