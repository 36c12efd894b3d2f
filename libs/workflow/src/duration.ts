const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

/** `250ms`, `10s`, `5m`, `1h`, `2d` or a number of milliseconds. */
export function parseDuration(value: string | number): number {
  return parseWithUnits(value, DURATION_UNITS, 'duration');
}

/** `512kb`, `5mb` or a number of bytes. */
export function parseSize(value: string | number): number {
  return parseWithUnits(value, SIZE_UNITS, 'size');
}

function parseWithUnits(value: string | number, units: Record<string, number>, kind: string): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*$/i.exec(String(value));
  const factor = match ? units[match[2]!.toLowerCase()] : undefined;
  if (!match || factor === undefined) throw new Error(`invalid ${kind} "${value}"`);
  return Math.round(Number(match[1]) * factor);
}
