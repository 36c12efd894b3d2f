/**
 * How the V8 heap grows. By default V8 lets the old generation grow by up to 4× between major
 * collections when collecting looks cheap; under sustained intake, where every request in flight
 * outlives a scavenge or two, that lets garbage pile up to several times the live heap before it
 * is collected. Growing by 10% at a time keeps peak memory near the live heap, at no cost in
 * throughput the bench could see (docs/performance-notes.md). A `--heap-growing-percent` given on
 * node's command line wins (NODE_OPTIONS does not accept that flag).
 */
import { setFlagsFromString } from 'node:v8';

export const HEAP_GROWING_PERCENT = 10;

/** The V8 flag to set, unless node was given one. */
export function heapGrowthFlag(execArgv: readonly string[]): string | undefined {
  const given = execArgv.some((flag) => /^--heap[-_]growing[-_]percent\b/.test(flag));
  return given ? undefined : `--heap-growing-percent=${HEAP_GROWING_PERCENT}`;
}

export function limitHeapGrowth(execArgv: readonly string[]): void {
  const flag = heapGrowthFlag(execArgv);
  if (flag) setFlagsFromString(flag);
}
