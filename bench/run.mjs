// Hookflow's benchmark (`npm run bench`, `npm run bench:smoke`). See docs/benchmarks.md for
// what it measures and the last full results.
//
//   node bench/run.mjs [--smoke] [--profile] [--only intake,e2e,workflows,list] [--out <file>]
//
// Exit status: 0 when it ran, whatever the timings; 1 when an acknowledged delivery was not
// stored or its run did not succeed (durability), or the bench itself could not run.
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout } from 'node:timers';
import { cleanup, makeTempDir, sweepStaleTempDirs } from './children.mjs';
import { ROOT, snapshotBuild, sourceRevision } from './hookflow.mjs';
import { endToEnd, intake, listLatency, profile, workflowLoad } from './phases.mjs';
import { durabilityProblems, machine, markdown } from './report.mjs';

const SETTINGS = {
  full: {
    warmupSeconds: 3,
    rounds: 3,
    roundSeconds: 10,
    e2eSeconds: 30,
    e2eMaxDeliveries: 90_000,
    workflowFiles: 1000,
    seedRuns: 1_000_000,
    listSeconds: 10,
    drainTimeoutMs: 15 * 60_000,
    limitMs: 60 * 60_000,
  },
  smoke: {
    warmupSeconds: 1,
    rounds: 2,
    roundSeconds: 2,
    e2eSeconds: 2,
    e2eMaxDeliveries: 2000,
    workflowFiles: 100,
    seedRuns: 20_000,
    listSeconds: 1,
    drainTimeoutMs: 2 * 60_000,
    limitMs: 10 * 60_000,
  },
};
const PHASES = ['intake', 'e2e', 'workflows', 'list'];

const { values: options } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    only: { type: 'string' },
    out: { type: 'string' },
  },
});
const mode = options.smoke ? 'smoke' : 'full';
const settings = SETTINGS[mode];
const only = options.only ? options.only.split(',').map((name) => name.trim()) : PHASES;
const unknown = only.filter((name) => !PHASES.includes(name));
if (unknown.length > 0) {
  console.error(`bench: unknown phase ${unknown.join(', ')}; phases are ${PHASES.join(', ')}`);
  process.exit(2);
}
const out = options.out ?? (mode === 'full' && !options.only ? join(ROOT, 'docs/benchmarks.md') : undefined);

const log = (message) => console.log(message);
const startedAt = new Date();

// A hang is a bug in the bench or the server, not a timing: past this bound everything is stopped.
const watchdog = setTimeout(() => {
  console.error(`bench: still running after ${settings.limitMs / 60_000} minutes; stopping`);
  cleanup().finally(() => process.exit(1));
}, settings.limitMs);
watchdog.unref();

async function main() {
  sweepStaleTempDirs();
  const revision = sourceRevision();
  snapshotBuild(makeTempDir());
  const host = { ...machine(), revision };
  log(`bench (${mode}): ${host.cpu}, ${host.node}, load average ${host.load.map((value) => value.toFixed(2)).join(' ')}`);
  const results = { notes: [] };
  if (only.includes('intake')) results.intake = await intake(settings, log);
  if (only.includes('e2e')) results.e2e = await endToEnd(settings, log);
  if (only.includes('workflows')) results.workflows = await workflowLoad(settings, log);
  if (only.includes('list')) results.list = await listLatency(settings, log);
  if (options.profile) results.profiles = [await profile('intake', settings, log), await profile('runner', settings, log)];
  host.loadAtEnd = loadavg();
  host.minutes = (Date.now() - startedAt.getTime()) / 60_000;
  const command = `npm run ${mode === 'smoke' ? 'bench:smoke' : 'bench'}${options.profile ? ' -- --profile' : ''}`;
  const report = markdown(results, { settings, mode, startedAt, host, command });
  log(`\n${report}`);
  if (out) {
    writeFileSync(out, report);
    log(`bench: wrote ${relative(process.cwd(), out) || out}`);
  }
  const problems = durabilityProblems(results);
  if (problems.length > 0) {
    console.error(`\nbench: DURABILITY MISMATCH\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    return 1;
  }
  return 0;
}

main().then(
  async (code) => {
    await cleanup();
    process.exit(code);
  },
  async (error) => {
    console.error(`bench: ${error.stack ?? error}`);
    await cleanup();
    process.exit(1);
  },
);
