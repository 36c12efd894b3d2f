import { ApiError } from './api.errors.js';

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;

/** `limit` as a page size: absent → default; anything but an integer in 1..MAX_LIMIT → 400. */
export function parseLimit(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_LIMIT;
  const limit = Number(value);
  if (!/^\d+$/.test(value) || limit < 1 || limit > MAX_LIMIT) {
    throw new ApiError('INVALID_QUERY', `limit must be an integer from 1 to ${MAX_LIMIT}`);
  }
  return limit;
}

export function parseEnum<T extends string>(name: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined || value === '') return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ApiError('INVALID_QUERY', `${name} must be one of: ${allowed.join(', ')}`);
  }
  return value as T;
}

export function iso(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString();
}
