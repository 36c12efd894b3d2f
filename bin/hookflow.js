#!/usr/bin/env node
// Launches the compiled CLI, compiling the project first when it has not been built yet
// (a fresh checkout run through `npx hookflow`).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = new URL('../', import.meta.url);
const main = new URL('dist/apps/cli/src/main.js', root);

if (!existsSync(fileURLToPath(main))) {
  const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], {
    cwd: fileURLToPath(root),
    stdio: 'inherit',
    shell: process.platform === 'win32',
  });
  if (build.status !== 0) {
    process.stderr.write('hookflow: the build failed; run `npm run build` to see why\n');
    process.exit(build.status ?? 1);
  }
}

await import(main.href);
