// The bench's phases. Each starts the processes it needs, measures, verifies, and stops them
// (children.mjs removes whatever is left if a phase throws).
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { hammer } from './cannon.mjs';
import { makeTempDir, memoryMb, removeTempDir, runScript, startChild, stopChild } from './children.mjs';
import { endToEndWorkflow, intakeWorkflow, PAYLOAD, SECRET_ENV, SIGNATURE_HEADERS } from './fixtures.mjs';
import { BUILD, startHookflow } from './hookflow.mjs';
import { summariseProfile } from './profile.mjs';

const SERVERS = fileURLToPath(new URL('./servers.mjs', import.meta.url));
const SEED = fileURLToPath(new URL('./seed-runs.mjs', import.meta.url));
const LOAD = fileURLToPath(new URL('./load-workflows.mjs', import.meta.url));
const POST = { method: 'POST', headers: { 'content-type': 'application/json', ...SIGNATURE_HEADERS }, body: PAYLOAD };
const INTAKE_CONNECTIONS = 50;
const LIST_CONNECTIONS = 10;

/** Collects deliveryId → runId from 202 answers (and parses every answer, baseline's too, so both sides cost the same). */
function acknowledgements(into) {
  return (status, text) => {
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      return;
    }
    if (status === 202 && into) into.set(body.deliveryId, body.runId);
  };
}

/**
 * Durable intake against bare node:http. Three servers are up at once and driven in turn with
 * the same load, the order rotating every round:
 * - `baseline`: bare node:http;
 * - `hookflow`: Hookflow as `npm start` runs it, executing the (cheap) runs as they arrive;
 * - `hookflow-web`: Hookflow with HOOKFLOW_ROLE=web, intake alone: its runs stay queued.
 * Hookflow's run queue is drained after each of its rounds, so that its background work never
 * overlaps another server's round.
 */
export async function intake(settings, log) {
  const workflowId = 'bench-intake';
  const workflows = { [`${workflowId}.yaml`]: intakeWorkflow(workflowId) };
  const dir = makeTempDir();
  const webDir = makeTempDir();
  const baseline = await startChild('baseline', SERVERS, { args: ['baseline'] });
  const hookflow = await startHookflow('hookflow', dir, { workflows });
  const web = await startHookflow('hookflow-web', webDir, { workflows, env: { HOOKFLOW_ROLE: 'web' } });
  try {
    const acked = new Map();
    const webAcked = new Map();
    const path = `/hooks/bench/${workflowId}`;
    const targets = {
      baseline: { url: `${baseline.url}${path}`, pid: baseline.pid, onAnswer: acknowledgements(undefined) },
      hookflow: { url: `${hookflow.url}${path}`, pid: hookflow.pid, onAnswer: acknowledgements(acked) },
      'hookflow-web': { url: `${web.url}${path}`, pid: web.pid, onAnswer: acknowledgements(webAcked) },
    };
    const names = Object.keys(targets);
    const drain = async (server) => {
      const drained = await server.api.drain(workflowId, settings.drainTimeoutMs);
      // the verification reports the runs left unfinished
      if (!drained.drained) log(`intake: WARNING: Hookflow's runs did not finish within ${settings.drainTimeoutMs / 1000} s`);
      return drained.seconds;
    };
    const load = (name, seconds) =>
      hammer({
        ...POST,
        url: targets[name].url,
        connections: INTAKE_CONNECTIONS,
        seconds,
        serverPid: targets[name].pid,
        onAnswer: targets[name].onAnswer,
      });
    log(`intake: warm-up ${settings.warmupSeconds} s each`);
    for (const name of names) await load(name, settings.warmupSeconds);
    await drain(hookflow);
    const rounds = [];
    for (let index = 0; index < settings.rounds; index++) {
      const order = [...names.slice(index % names.length), ...names.slice(0, index % names.length)];
      const entry = { round: index + 1 };
      for (const name of order) {
        log(`intake: round ${index + 1}/${settings.rounds}, ${name}, ${settings.roundSeconds} s`);
        entry[name] = await load(name, settings.roundSeconds);
        if (name === 'hookflow') entry.drainSeconds = await drain(hookflow);
      }
      rounds.push(entry);
      for (const name of names) log(`  ${name}: ${describe(entry[name])}`);
    }
    const memory = memoryMb(hookflow.pid);
    log(`intake: verifying ${acked.size} acknowledged deliveries through the API`);
    const verification = await hookflow.api.verify(workflowId, acked);
    // The web-role server executes nothing: its deliveries must be stored with their runs queued.
    // (Executing its backlog afterwards would take minutes; the other phases verify execution.)
    log(`intake: verifying the web-role server's ${webAcked.size} acknowledged deliveries through its API`);
    const webVerification = await web.api.verify(workflowId, webAcked, 'queued');
    return { rounds, verification, memory, web: { verification: webVerification, memory: memoryMb(web.pid) } };
  } finally {
    await stopChild(baseline);
    await hookflow.stop();
    await web.stop();
    removeTempDir(dir);
    removeTempDir(webDir);
  }
}

/** The 3-step workflow end to end: deliveries in, runs executed with an HTTP POST to a local receiver. */
export async function endToEnd(settings, log) {
  const dir = makeTempDir();
  const workflowId = 'bench-e2e';
  const receiver = await startChild('receiver', SERVERS, { args: ['receiver'] });
  const hookflow = await startHookflow('hookflow', dir, {
    workflows: { [`${workflowId}.yaml`]: endToEndWorkflow(workflowId, receiver.url) },
  });
  try {
    const acked = new Map();
    log(
      `end to end: ${settings.e2eSeconds} s of load (at most ${settings.e2eMaxDeliveries} deliveries), then until every run has finished`,
    );
    const load = await hammer({
      ...POST,
      url: `${hookflow.url}/hooks/bench/${workflowId}`,
      connections: INTAKE_CONNECTIONS,
      seconds: settings.e2eSeconds,
      maxRequests: settings.e2eMaxDeliveries,
      serverPid: hookflow.pid,
      onAnswer: acknowledgements(acked),
    });
    const backlog = await countUnfinished(hookflow.api, workflowId);
    log(`  ${load.answered} answered (${load.rps.toFixed(0)} req/s), ${acked.size} acknowledged; waiting for the runs`);
    const drain = await hookflow.api.drain(workflowId, settings.drainTimeoutMs);
    const memory = memoryMb(hookflow.pid);
    const receiverStats = await (await globalThis.fetch(`${receiver.url}/stats`)).json();
    log(`end to end: verifying ${acked.size} acknowledged deliveries through the API`);
    const verification = await hookflow.api.verify(workflowId, acked);
    const succeeded = verification.statuses.succeeded ?? 0;
    const span = (verification.lastFinished - verification.firstReceived) / 1000;
    const finishedDuringLoad = verification.finishedAt.filter((at) => at !== undefined && at <= load.endedAt).length;
    return {
      load,
      backlog,
      drain,
      memory,
      receiver: receiverStats,
      // every succeeded run POSTed once with its own Idempotency-Key; fewer keys than runs means a step was recorded but not sent
      receiverOk: receiverStats.distinctKeys >= succeeded,
      verification,
      runsPerSecond: span > 0 ? acked.size / span : undefined,
      spanSeconds: span,
      runsPerSecondDuringLoad: finishedDuringLoad / ((load.endedAt - verification.firstReceived) / 1000),
    };
  } finally {
    await stopChild(receiver);
    await hookflow.stop();
    removeTempDir(dir);
  }
}

function describe(load) {
  const cores = (value) => (value === undefined ? '?' : value.toFixed(2));
  return `${load.rps.toFixed(0)} req/s, p50 ${load.p50?.toFixed(2)} ms, p99 ${load.p99?.toFixed(2)} ms (cores: server ${cores(load.serverCores)}, bench ${cores(load.driverCores)}, others ${cores(load.otherCores)})`;
}

async function countUnfinished(api, workflowId) {
  const counts = {};
  for (const status of ['queued', 'running', 'waiting']) {
    counts[status] = (await api.all('/api/runs', { workflowId, status })).length;
  }
  return counts;
}

/** 1,000 workflow files: WorkflowRegistry.load() in a fresh process, then a whole server start on them. */
export async function workflowLoad(settings, log) {
  const dir = makeTempDir();
  try {
    const folder = join(dir, 'workflows');
    mkdirSync(folder);
    for (let index = 0; index < settings.workflowFiles; index++) {
      const id = `bench-flow-${String(index).padStart(4, '0')}`;
      writeFileSync(join(folder, `${id}.yaml`), endToEndWorkflow(id, 'http://127.0.0.1:9'));
    }
    log(`workflow load: ${readdirSync(folder).length} files (3-step workflows, each with a schema, JSONata, Handlebars)`);
    const registry = await runScript('load-workflows', LOAD, {
      args: [folder, '3'],
      env: { HOOKFLOW_BENCH_BUILD: BUILD, ...SECRET_ENV },
      timeoutMs: 300_000,
    });
    if (registry.invalid > 0) throw new Error(`${registry.invalid} bench workflows did not load: ${registry.firstError}`);
    log(`  WorkflowRegistry.load(): ${registry.firstMs.toFixed(0)} ms cold, ${registry.bestMs.toFixed(0)} ms warm`);
    const hookflow = await startHookflow('hookflow', dir, { workflowsDir: folder });
    try {
      const served = await hookflow.api.get('/api/workflows');
      const active = (Array.isArray(served) ? served : (served.items ?? [])).filter((workflow) => workflow.status === 'active').length;
      log(`  server start to listening with them: ${hookflow.child.startMs.toFixed(0)} ms (${active} active)`);
      return { files: settings.workflowFiles, registry, serverStartMs: hookflow.child.startMs, active, memory: memoryMb(hookflow.pid) };
    } finally {
      await hookflow.stop();
    }
  } finally {
    removeTempDir(dir);
  }
}

/** GET /api/runs over a database seeded with many finished runs. */
export async function listLatency(settings, log) {
  const dir = makeTempDir();
  try {
    const file = join(dir, 'hookflow.db');
    log(`list latency: seeding ${settings.seedRuns.toLocaleString('en')} runs`);
    const seed = await runScript('seed-runs', SEED, {
      args: [file, String(settings.seedRuns)],
      env: { HOOKFLOW_BENCH_BUILD: BUILD },
      timeoutMs: 1_800_000,
    });
    log(`  seeded in ${seed.seconds.toFixed(1)} s (${seed.fileMb.toFixed(0)} MB)`);
    const hookflow = await startHookflow('hookflow', dir, { databaseFile: file });
    try {
      const workflowId = seed.workflowIds[3];
      const queries = [
        { name: 'newest 50', path: '/api/runs?limit=50' },
        { name: 'workflowId', path: `/api/runs?limit=50&workflowId=${workflowId}` },
        { name: 'status=failed', path: '/api/runs?limit=50&status=failed' },
        { name: 'workflowId + status=cancelled', path: `/api/runs?limit=50&workflowId=${workflowId}&status=cancelled` },
        { name: 'cursor (page at 50%)', path: `/api/runs?limit=50&cursor=${seed.middleCursor}` },
        { name: 'workflowId + cursor', path: `/api/runs?limit=50&workflowId=${workflowId}&cursor=${seed.middleCursor}` },
      ];
      // the first request after the start is cold; then the server is warmed (JIT, SQLite's page cache) on that query
      const cold = await timedGet(hookflow, queries[0].path);
      await hammer({
        url: `${hookflow.url}${queries[0].path}`,
        headers: { authorization: `Bearer ${hookflow.token}` },
        connections: LIST_CONNECTIONS,
        seconds: settings.warmupSeconds,
      });
      const results = [];
      for (const query of queries) {
        const first = query === queries[0] ? cold : await timedGet(hookflow, query.path);
        if (first.status !== 200 || !(first.items > 0))
          throw new Error(`GET ${query.path} answered ${first.status} with ${first.items} items`);
        const load = await hammer({
          url: `${hookflow.url}${query.path}`,
          headers: { authorization: `Bearer ${hookflow.token}` },
          connections: LIST_CONNECTIONS,
          seconds: settings.listSeconds,
          serverPid: hookflow.pid,
        });
        results.push({ ...query, firstMs: first.ms, load });
        log(
          `  ${query.name}: first ${first.ms.toFixed(1)} ms; ${load.rps.toFixed(0)} req/s, p50 ${load.p50.toFixed(2)} ms, p99 ${load.p99.toFixed(2)} ms`,
        );
      }
      return { seed, results, memory: memoryMb(hookflow.pid) };
    } finally {
      await hookflow.stop();
    }
  } finally {
    removeTempDir(dir);
  }
}

async function timedGet(hookflow, path) {
  const started = performance.now();
  const response = await globalThis.fetch(`${hookflow.url}${path}`, { headers: { authorization: `Bearer ${hookflow.token}` } });
  const body = await response.json();
  return { status: response.status, items: body.items?.length, ms: performance.now() - started };
}

/**
 * Hookflow under `node --cpu-prof`, summarised over one window:
 * - `intake`: a round of intake load on the one-transform workflow (runs executing alongside);
 * - `runner`: the end-to-end workflow's backlog being executed after a round of load, with no
 *   intake going on (the window runs from the end of the load until the queue is empty).
 */
export async function profile(kind, settings, log) {
  const dir = makeTempDir();
  const workflowId = kind === 'intake' ? 'bench-intake' : 'bench-e2e';
  const profiles = join(dir, 'profiles');
  const receiver = kind === 'runner' ? await startChild('receiver', SERVERS, { args: ['receiver'] }) : undefined;
  const hookflow = await startHookflow(`hookflow (profiled ${kind})`, dir, {
    workflows: { [`${workflowId}.yaml`]: kind === 'intake' ? intakeWorkflow(workflowId) : endToEndWorkflow(workflowId, receiver.url) },
    nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profiles}`],
  });
  try {
    const url = `${hookflow.url}/hooks/bench/${workflowId}`;
    await hammer({ ...POST, url, connections: INTAKE_CONNECTIONS, seconds: settings.warmupSeconds });
    await hookflow.api.drain(workflowId, settings.drainTimeoutMs);
    log(
      `profile (${kind}): ${settings.roundSeconds} s of intake load under --cpu-prof${kind === 'runner' ? ', then the runs it queued' : ''}`,
    );
    const load = await hammer({ ...POST, url, connections: INTAKE_CONNECTIONS, seconds: settings.roundSeconds, serverPid: hookflow.pid });
    const drained = await hookflow.api.drain(workflowId, settings.drainTimeoutMs);
    const drainedAt = Date.now();
    const ended = await hookflow.stop();
    // node writes a profile per thread, named CPU.<date>.<time>.<pid>.<thread id>.<n>.cpuprofile: intake
    // runs on the main thread (id 0), runs on the runner thread.
    const threadOf = (name) => Number(name.split('.')[4]);
    const file = readdirSync(profiles)
      .filter((name) => name.endsWith('.cpuprofile'))
      .find((name) => (kind === 'intake' ? threadOf(name) === 0 : threadOf(name) !== 0));
    if (!file || ended.at === undefined) throw new Error(`no profile was written (Hookflow ended with ${JSON.stringify(ended)})`);
    // The profile's clock is not the wall clock: samples are placed by the process's exit time,
    // and the window's edges are trimmed by half a second for slack.
    const [from, to] = kind === 'intake' ? [load.startedAt, load.endedAt] : [load.endedAt, drainedAt];
    const window = { fromEndMs: ended.at - (to - 500), toEndMs: ended.at - (from + 500) };
    return { kind, load, drainSeconds: drained.seconds, summary: summariseProfile(join(profiles, file), { window }) };
  } finally {
    await hookflow.stop();
    if (receiver) await stopChild(receiver);
    removeTempDir(dir);
  }
}
