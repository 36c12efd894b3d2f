import type { ValueTransformer } from 'typeorm';

/** Times are stored as epoch milliseconds in BIGINT columns; PostgreSQL hands those back as strings. */
export const msTransformer: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | number | null) => (value === null || value === undefined ? null : Number(value)),
};

/**
 * JSON kept in TEXT columns, portable across SQLite and PostgreSQL. Text that is not JSON (a row
 * edited by hand, a damaged file) comes back as the string it is, so the API still shows that run
 * and the pages listing it, rather than failing them.
 */
export const jsonTransformer: ValueTransformer = {
  to: (value: unknown) => (value === undefined ? null : JSON.stringify(value)),
  from: (value: string | null) => (value === null ? null : parseOrText(value)),
};

function parseOrText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
