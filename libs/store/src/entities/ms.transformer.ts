import type { ValueTransformer } from 'typeorm';

/** Times are stored as epoch milliseconds in BIGINT columns; PostgreSQL hands those back as strings. */
export const msTransformer: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | number | null) => (value === null || value === undefined ? null : Number(value)),
};

/** JSON kept in TEXT columns, portable across SQLite and PostgreSQL. */
export const jsonTransformer: ValueTransformer = {
  to: (value: unknown) => (value === undefined ? null : JSON.stringify(value)),
  from: (value: string | null) => (value === null ? null : (JSON.parse(value) as unknown)),
};
