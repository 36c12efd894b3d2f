// Runs every compiled spec under dist/ with Node's test runner. `npm test -- <word>` runs
// only the files whose path contains <word>.
// `npm run test:postgres` sets HOOKFLOW_TEST_POSTGRES=1 and picks the store, PostgreSQL and
// scale-out tests, whose PostgreSQL cases are skipped otherwise (TEST_POSTGRES_URL names the server).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

function specs(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return specs(path);
    return /\.(spec|e2e-spec)\.js$/.test(entry.name) ? [path] : [];
  });
}

const filters = process.argv.slice(2);
const files = ['dist/apps', 'dist/libs', 'dist/test']
  .flatMap((dir) => {
    try {
      return specs(dir);
    } catch {
      return [];
    }
  })
  .filter((file) => filters.length === 0 || filters.some((word) => file.includes(word)))
  .sort();

if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--enable-source-maps', '--test', '--test-concurrency=2', ...files], {
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
