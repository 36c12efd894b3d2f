// Times WorkflowRegistry.load() over a folder, in a fresh process (as at a server's start):
//   node bench/load-workflows.mjs <dir> [repeats]
// Prints one JSON line: { files, active, invalid, firstMs, bestMs }.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

// The bench runs a snapshot of dist/ (HOOKFLOW_BENCH_BUILD); run by hand, this checkout's.
const ROOT = process.env.HOOKFLOW_BENCH_BUILD ?? fileURLToPath(new URL('..', import.meta.url));
const [dir, repeatsText = '3'] = process.argv.slice(2);
if (!dir) {
  process.stderr.write('usage: node bench/load-workflows.mjs <dir> [repeats]\n');
  process.exit(2);
}

const { WorkflowRegistry } = await import(pathToFileURL(join(ROOT, 'dist/libs/workflow/src/index.js')).href);
const times = [];
let statuses = [];
for (let index = 0; index < Number(repeatsText); index++) {
  const registry = new WorkflowRegistry(dir, process.env);
  const started = performance.now();
  statuses = await registry.load();
  times.push(performance.now() - started);
}
const invalid = statuses.filter((status) => status.status !== 'active');
process.stdout.write(
  `${JSON.stringify({
    files: statuses.length,
    active: statuses.length - invalid.length,
    invalid: invalid.length,
    firstError: invalid[0]?.errors[0]?.message,
    firstMs: times[0],
    bestMs: Math.min(...times),
  })}\n`,
);
