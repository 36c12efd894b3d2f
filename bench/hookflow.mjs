// Starts the built Hookflow server (`node --enable-source-maps dist/apps/hookflow/src/main.js`,
// as `npm start` does) as a child process on a loopback port, with its own SQLite file and
// workflows folder inside a bench temp folder.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hookflowApi } from './api.mjs';
import { startChild, stopChild } from './children.mjs';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const MAIN = join(ROOT, 'dist/apps/hookflow/src/main.js');

export function requireBuild() {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (npm run bench does)`);
}

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
  const child = await startChild(name, MAIN, {
    cwd: dir, // no stray .env from the repository is read
    nodeArgs: ['--enable-source-maps', ...nodeArgs],
    env: {
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: `sqlite:${databaseFile ?? join(dir, 'hookflow.db')}`,
      HOOKFLOW_WORKFLOWS_DIR: folder,
      HOOKFLOW_API_TOKEN: token,
      LOG_LEVEL: 'warn',
      ...env,
    },
  });
  return { child, pid: child.pid, url: child.url, token, api: hookflowApi(child.url, token), stop: () => stopChild(child) };
}
