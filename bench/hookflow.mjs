// Starts the built Hookflow server (`dist/apps/hookflow/src/main.js`, with the node flags of `npm start`) as a child
// process on a loopback port, with its own SQLite file and workflows folder inside a bench temp folder.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hookflowApi } from './api.mjs';
import { startChild, stopChild } from './children.mjs';
import { SECRET_ENV } from './fixtures.mjs';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MAIN = 'dist/apps/hookflow/src/main.js';

/** Where the built code the bench runs lives: a snapshot of dist/ (see snapshotBuild). */
export let BUILD = ROOT;

/**
 * Copies dist/ (with package.json, and node_modules linked) into the bench's temp folder and
 * runs everything from there, so that a rebuild during the bench (another \`npm test\` in this
 * checkout) cannot change the code under measurement halfway.
 */
export function snapshotBuild(tempDir) {
  if (!existsSync(join(ROOT, MAIN))) throw new Error(`${join(ROOT, MAIN)} is missing: run \`npm run build\` first (npm run bench does)`);
  const dir = join(tempDir, 'build');
  mkdirSync(dir);
  cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
  copyFileSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  BUILD = dir;
  return dir;
}

/** The commit the build came from, and whether the checkout had uncommitted changes. */
export function sourceRevision() {
  try {
    const git = (...args) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const commit = git('rev-parse', '--short', 'HEAD');
    const dirty = git('status', '--porcelain', '--untracked-files=no', '--', 'apps', 'libs') !== '';
    return `${commit}${dirty ? ' with uncommitted changes in apps/ or libs/' : ''}`;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

/** The node flags of `npm start` (package.json), so that the bench measures Hookflow as it is run. */
const NPM_START_NODE_ARGS = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
  .scripts.start.split('&&')
  .at(-1)
  .trim()
  .split(/\s+/)
  .filter((arg) => arg.startsWith('--'));

/**
 * @param {string} dir a temp folder of its own: the database goes in it (unless `databaseFile`
 *   is given) and the workflows in `<dir>/workflows`
 * @param {Record<string, string>} workflows file name → YAML, written before the start
 */
export async function startHookflow(name, dir, { workflows = {}, workflowsDir, databaseFile, nodeArgs = [], env = {} } = {}) {
  const folder = workflowsDir ?? join(dir, 'workflows');
  mkdirSync(folder, { recursive: true });
  for (const [file, text] of Object.entries(workflows)) writeFileSync(join(folder, file), text);
  const token = randomBytes(24).toString('hex');
  const child = await startChild(name, join(BUILD, MAIN), {
    cwd: dir, // no stray .env from the repository is read
    nodeArgs: [...NPM_START_NODE_ARGS, ...nodeArgs],
    startTimeoutMs: 300_000,
    env: {
      ...unsetHookflowVariables(),
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: `sqlite:${databaseFile ?? join(dir, 'hookflow.db')}`,
      HOOKFLOW_WORKFLOWS_DIR: folder,
      HOOKFLOW_API_TOKEN: token,
      LOG_LEVEL: 'warn',
      ...SECRET_ENV,
      ...env,
    },
  });
  return { child, pid: child.pid, url: child.url, token, api: hookflowApi(child.url, token), stop: () => stopChild(child) };
}

/**
 * Hookflow's settings in the shell that runs the bench (HOOKFLOW_ROLE, HOOKFLOW_WORKER_CONCURRENCY…)
 * would change what is measured: they are removed (spawn leaves out variables set to undefined),
 * and the bench sets its own.
 */
function unsetHookflowVariables() {
  return Object.fromEntries(
    Object.keys(process.env)
      .filter((name) => name.startsWith('HOOKFLOW_'))
      .map((name) => [name, undefined]),
  );
}
