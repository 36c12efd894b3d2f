/**
 * A server whose database cannot be reached at start says which database and why, and exits
 * non-zero at once (a supervisor restarts it), instead of serving without storage. Needs no
 * PostgreSQL: the database's port is one nothing listens on.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort } from './support/hookflow.js';

const MAIN = fileURLToPath(new URL('../apps/hookflow/src/main.js', import.meta.url));

async function start(databaseUrl: (dir: string) => string): Promise<{ code: number | null; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'hookflow-unreachable-'));
  try {
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(process.env)) {
      if (value !== undefined && !/^(HOOKFLOW_|DATABASE_URL$|PORT$|HOST$)/.test(name)) env[name] = value;
    }
    Object.assign(env, {
      DATABASE_URL: databaseUrl(dir),
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      HOOKFLOW_WORKFLOWS_DIR: join(dir, 'workflows'),
      HOOKFLOW_API_TOKEN: 'unreachable-token',
    });
    const child = spawn(process.execPath, [MAIN], { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
    return { code, stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('database unreachable at start', () => {
  it('exits 1 naming the PostgreSQL database (without its password) and the reason', { timeout: 60_000 }, async () => {
    const port = await freePort();
    const { code, stderr } = await start(() => `postgres://hookflow:s3cret@127.0.0.1:${port}/hookflow`);
    assert.equal(code, 1, stderr);
    assert.match(
      stderr,
      new RegExp(`hookflow: cannot open storage at postgres://hookflow:\\*\\*\\*@127\\.0\\.0\\.1:${port}/hookflow: .*ECONNREFUSED`),
    );
    assert.doesNotMatch(stderr, /s3cret/);
  });

  it('exits 1 naming the SQLite file when its folder cannot be created', { timeout: 60_000 }, async () => {
    const { code, stderr } = await start((dir) => {
      writeFileSync(join(dir, 'a-file'), '');
      return `sqlite:${join(dir, 'a-file', 'hookflow.db')}`;
    });
    assert.equal(code, 1, stderr);
    assert.match(stderr, /hookflow: cannot open storage at sqlite:/);
  });
});
