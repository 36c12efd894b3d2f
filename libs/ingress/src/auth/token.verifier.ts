// Shared-secret schemes for senders that cannot sign: the secret itself travels with the request,
// so all these can do is compare it, in constant time, against every configured secret.
import { AUTH_OK, authFailure } from './auth-failure.js';
import type { AuthFailure, AuthRequest, AuthResult, AuthSpec } from './auth.types.js';
import { constantTimeEqual } from './constant-time.js';
import { readHeader } from './read-header.js';

export type TokenAuthSpec = Exclude<AuthSpec, { type: 'hmac' }>;

const AUTHORIZATION = 'authorization';
const BEARER = /^Bearer +(\S+)$/i;
const BASIC = /^Basic +([A-Za-z0-9+/]+={0,2})$/i;

export function verifyToken(spec: TokenAuthSpec, request: AuthRequest): AuthResult {
  const presented = presentedCredential(spec, request);
  if (!presented.ok) return presented;
  let matched = false;
  for (const secret of spec.secrets) {
    if (secret !== '') matched = constantTimeEqual(presented.value, Buffer.from(secret, 'utf8')) || matched;
  }
  return matched ? AUTH_OK : authFailure('UNAUTHORIZED', `${presented.source} does not match any configured secret`);
}

export function signToken(spec: TokenAuthSpec, secret: string): { headers: Record<string, string>; pathSuffix?: string } {
  switch (spec.type) {
    case 'token':
      return { headers: {}, pathSuffix: `/${encodeURIComponent(secret)}` };
    case 'bearer':
      return { headers: { [AUTHORIZATION]: `Bearer ${secret}` } };
    case 'basic':
      return { headers: { [AUTHORIZATION]: `Basic ${Buffer.from(secret, 'utf8').toString('base64')}` } };
    case 'header':
      return { headers: { [spec.header.toLowerCase()]: secret } };
  }
}

type Presented = { ok: true; value: Buffer; source: string } | AuthFailure;

function presentedCredential(spec: TokenAuthSpec, request: AuthRequest): Presented {
  switch (spec.type) {
    case 'token': {
      const token = request.pathToken;
      if (token === undefined || token === '') return authFailure('UNAUTHORIZED', 'the token path segment is missing');
      return { ok: true, value: Buffer.from(token, 'utf8'), source: 'the token path segment' };
    }
    case 'bearer': {
      const header = readCredentialHeader(request, AUTHORIZATION);
      if (!header.ok) return header;
      const match = BEARER.exec(header.value);
      if (match?.[1] === undefined) return authFailure('UNAUTHORIZED', 'authorization header is not a Bearer credential');
      return { ok: true, value: Buffer.from(match[1], 'utf8'), source: 'the bearer token' };
    }
    case 'basic': {
      const header = readCredentialHeader(request, AUTHORIZATION);
      if (!header.ok) return header;
      const match = BASIC.exec(header.value);
      if (match?.[1] === undefined || match[1].length % 4 !== 0) {
        return authFailure('UNAUTHORIZED', 'authorization header is not a Basic credential');
      }
      return { ok: true, value: Buffer.from(match[1], 'base64'), source: 'the basic credential' };
    }
    case 'header': {
      const name = spec.header.toLowerCase();
      const header = readCredentialHeader(request, name);
      if (!header.ok) return header;
      return { ok: true, value: Buffer.from(header.value, 'utf8'), source: `${name} header` };
    }
  }
}

function readCredentialHeader(request: AuthRequest, name: string): { ok: true; value: string } | AuthFailure {
  const header = readHeader(request.headers, name);
  return header.ok ? header : authFailure('UNAUTHORIZED', header.message);
}
