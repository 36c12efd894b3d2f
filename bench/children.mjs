// Child processes and temp folders of one bench run, and their cleanup: every child is
// stopped (SIGTERM, then SIGKILL after a grace period) and every temp folder removed when the
// bench ends, fails, is interrupted, or is killed. Each child also runs orphan-guard.mjs, so
// it exits by itself if the bench process dies without cleaning up (kill -9).
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const GUARD = fileURLToPath(new URL('./orphan-guard.mjs', import.meta.url));
const STOP_GRACE_MS = 30_000;
const OUTPUT_LINES = 200;

const children = new Set();
const tempDirs = new Set();

const PREFIX = 'hookflow-bench-';
const OWNER = '.bench-owner';

export function makeTempDir() {
  const dir = mkdtempSync(join(tmpdir(), PREFIX));
  tempDirs.add(dir);
  writeFileSync(join(dir, OWNER), String(process.pid));
  return dir;
}

/** Removes temp folders left by a bench process that was killed (kill -9) before it could clean up. */
export function sweepStaleTempDirs() {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(PREFIX)) continue;
    const dir = join(tmpdir(), name);
    let owner;
    try {
      owner = Number(readFileSync(join(dir, OWNER), 'utf8'));
    } catch {
      continue; // not ours, or being created
    }
    if (owner === process.pid || isAlive(owner)) continue;
    rmSync(dir, { recursive: true, force: true });
  }
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

export function removeTempDir(dir) {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

/**
 * Starts `node [nodeArgs] script [args]` and waits until it prints a JSON line with a `url`
 * (Hookflow: `{"message":"listening","url":…}`; bench servers: `{"url":…}`).
 */
export async function startChild(name, script, { args = [], nodeArgs = [], env = {}, cwd = process.cwd(), startTimeoutMs = 120_000 } = {}) {
  const started = performance.now();
  const proc = spawn(process.execPath, ['--import', GUARD, ...nodeArgs, script, ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const child = { name, proc, pid: proc.pid, output: [], url: undefined, exited: undefined, startMs: undefined };
  children.add(child);
  const exited = new Promise((resolve) => {
    proc.once('exit', (code, signal) => {
      child.exited = { code, signal, at: Date.now() };
      children.delete(child);
      resolve(child.exited);
    });
  });
  child.exitedPromise = exited;
  let announce;
  const ready = new Promise((resolve) => (announce = resolve));
  const keep = (stream) => {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        child.output.push(line);
        if (child.output.length > OUTPUT_LINES) child.output.shift();
        if (child.url === undefined && line.startsWith('{')) {
          try {
            const parsed = JSON.parse(line);
            if (typeof parsed.url === 'string') {
              child.url = parsed.url;
              announce();
            }
          } catch {
            // a log line that is not ours
          }
        }
      }
    });
  };
  keep(proc.stdout);
  keep(proc.stderr);
  const timeout = sleep(startTimeoutMs, 'timeout', { ref: false });
  const outcome = await Promise.race([ready.then(() => 'ready'), exited.then(() => 'exited'), timeout]);
  if (outcome !== 'ready') {
    await stopChild(child);
    throw new Error(`${name} did not start (${outcome}); its last output:\n${child.output.slice(-30).join('\n')}`);
  }
  child.startMs = performance.now() - started;
  return child;
}

/** Runs a node script to its end (killed past the timeout); answers the last JSON line it printed. */
export async function runScript(name, script, { args = [], nodeArgs = [], env = {}, timeoutMs = 600_000 } = {}) {
  const proc = spawn(process.execPath, ['--import', GUARD, ...nodeArgs, script, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const child = { name, proc, pid: proc.pid, output: [], exited: undefined };
  children.add(child);
  let stdout = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
  proc.stderr.setEncoding('utf8').on('data', (chunk) => (stderr = (stderr + chunk).slice(-20_000)));
  child.exitedPromise = new Promise((resolve) => {
    proc.once('exit', (code, signal) => {
      child.exited = { code, signal };
      children.delete(child);
      resolve(child.exited);
    });
  });
  const outcome = await Promise.race([child.exitedPromise, sleep(timeoutMs, 'timeout', { ref: false })]);
  if (outcome === 'timeout') {
    await stopChild(child, 2000);
    throw new Error(`${name} did not finish within ${timeoutMs / 1000} s`);
  }
  const last = stdout.trim().split('\n').pop() ?? '';
  if (outcome.code !== 0 || !last.startsWith('{')) {
    throw new Error(`${name} failed (${outcome.code ?? outcome.signal}):\n${stderr.slice(-3000)}${stdout.slice(-1000)}`);
  }
  return JSON.parse(last);
}

/** SIGTERM, then SIGKILL after the grace period; answers how the child ended. */
export async function stopChild(child, graceMs = STOP_GRACE_MS) {
  if (child.exited) return child.exited;
  child.proc.kill('SIGTERM');
  const outcome = await Promise.race([child.exitedPromise, sleep(graceMs, 'timeout', { ref: false })]);
  if (outcome === 'timeout') {
    child.proc.kill('SIGKILL');
    await child.exitedPromise;
    return { ...child.exited, killed: true };
  }
  return outcome;
}

export async function cleanup() {
  await Promise.all([...children].map((child) => stopChild(child, 5000).catch(() => undefined)));
  for (const dir of [...tempDirs]) removeTempDir(dir);
}

/** Last resort on exit: whatever is still alive is killed, and temp folders go. */
function cleanupNow() {
  for (const child of children) {
    try {
      child.proc.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
}

process.once('exit', cleanupNow);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    process.stderr.write(`\nbench: ${signal}; stopping children and removing temp folders\n`);
    cleanup().finally(() => process.exit(130));
  });
}

/** Linux: a process's resident memory now and its peak (VmHWM), in MB; undefined elsewhere. */
export function memoryMb(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
    return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

/** Linux: CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return undefined;
  }
}

/** Linux: busy CPU seconds of the whole machine so far (all cores). */
export function machineBusySeconds() {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = cpu;
    return (user + nice + system + irq + softirq + steal) / 100;
  } catch {
    return undefined;
  }
}
