/** `/api/*` needs `Authorization: Bearer <token>` matching one of the configured tokens. */
import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { constantTimeEqual } from '#libs/ingress';
import { ApiError } from './api.errors.js';

export const API_TOKENS = Symbol('API_TOKENS');

@Injectable()
export class ApiTokenGuard implements CanActivate {
  constructor(@Inject(API_TOKENS) private readonly tokens: readonly string[]) {}

  canActivate(context: ExecutionContext): boolean {
    const header = context.switchToHttp().getRequest<FastifyRequest>().headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    // Compare against every token so the time taken does not tell which one was close.
    const valid = match !== null && this.tokens.map((token) => constantTimeEqual(token, match[1]!)).includes(true);
    if (!valid) throw new ApiError('UNAUTHORIZED', 'a valid bearer token is required (Authorization: Bearer <HOOKFLOW_API_TOKEN>)');
    return true;
  }
}
