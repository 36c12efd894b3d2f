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

/** The last millisecond of year 9999: past it (and before 1970), toISOString's own format is used. */
const LAST_FOUR_DIGIT_YEAR_MS = 253_402_300_799_999;
const DAY_MS = 86_400_000;

/**
 * Epoch milliseconds as `toISOString` writes them (`2026-11-28T18:21:07.042Z`). Written out here
 * because V8's `toISOString` costs over a microsecond, and a page of runs formats four times per
 * run; days become dates by H. Hinnant's civil-from-days. Outside 1970–9999, or for a fraction of
 * a millisecond, `toISOString` itself answers.
 */
export function iso(ms: number | null | undefined): string | null {
  if (ms === null || ms === undefined) return null;
  if (!Number.isInteger(ms) || ms < 0 || ms > LAST_FOUR_DIGIT_YEAR_MS) return new Date(ms).toISOString();
  const days = Math.floor(ms / DAY_MS);
  let time = ms - days * DAY_MS;
  const era = Math.floor((days + 719_468) / 146_097);
  const dayOfEra = days + 719_468 - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthFromMarch + 2) / 5) + 1;
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  const hours = Math.floor(time / 3_600_000);
  time -= hours * 3_600_000;
  const minutes = Math.floor(time / 60_000);
  time -= minutes * 60_000;
  const seconds = Math.floor(time / 1000);
  const millis = time - seconds * 1000;
  return `${year}-${two(month)}-${two(day)}T${two(hours)}:${two(minutes)}:${two(seconds)}.${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`;
}

function two(value: number): string {
  return value < 10 ? `0${value}` : String(value);
}
