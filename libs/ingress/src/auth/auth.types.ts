// The vocabulary shared by every verifier, the ingress controller and the CLI signer, kept free
// of Nest so that authentication is a pure function of the bytes received and the time.

export type HmacPreset = 'github' | 'stripe' | 'standard-webhooks' | 'shopify' | 'slack' | 'generic';
export type HmacAlgorithm = 'sha1' | 'sha256' | 'sha512';
export type DigestEncoding = 'hex' | 'base64';

/** One way a delivery may authenticate. Secrets are already resolved; several allow rotation. */
export type AuthSpec =
  | {
      type: 'hmac';
      preset: HmacPreset;
      secrets: string[];
      /** How far a signed timestamp may be from `now`, in either direction (timestamped presets only). */
      toleranceMs: number;
      /** generic only: signature header (default `x-signature`). */
      header?: string;
      /** generic only (default sha256). */
      algorithm?: HmacAlgorithm;
      /** generic only (default hex). */
      encoding?: DigestEncoding;
      /** generic only: text before the digest, e.g. `sha256=`. */
      prefix?: string;
    }
  | { type: 'token' | 'bearer' | 'basic'; secrets: string[] }
  | { type: 'header'; header: string; secrets: string[] };

export type HmacAuthSpec = Extract<AuthSpec, { type: 'hmac' }>;

export interface AuthRequest {
  /** The exact bytes received. */
  rawBody: Buffer;
  /** Lower-case names, as in Node's IncomingHttpHeaders. */
  headers: Record<string, string | string[] | undefined>;
  /** The decoded last path segment, for `token` auth. */
  pathToken?: string;
  /** Milliseconds since the epoch. */
  now: number;
}

export type AuthFailureCode = 'MISSING_SIGNATURE' | 'INVALID_SIGNATURE' | 'STALE_TIMESTAMP' | 'UNAUTHORIZED';
/** `message` never contains a secret or an expected signature. */
export type AuthFailure = { ok: false; code: AuthFailureCode; message: string };
export type AuthResult = { ok: true } | AuthFailure;

export interface SignRequest {
  rawBody: Buffer;
  /** Milliseconds since the epoch; becomes the signed timestamp. */
  now: number;
  pathToken?: never;
  /** standard-webhooks `webhook-id`; by default derived from the body and `now`. */
  webhookId?: string;
}

export interface SignedDelivery {
  /** Lower-case header names to send. */
  headers: Record<string, string>;
  /** For `token` auth: `/<url-encoded secret>`, appended to the hook URL. */
  pathSuffix?: string;
}
