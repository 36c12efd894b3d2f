// The markdown report: the machine, the durability setting, a summary against the targets,
// the details of each phase, and how to reproduce.
import { cpus, loadavg, release, totalmem, type, arch, tmpdir } from 'node:os';
import { PAYLOAD } from './fixtures.mjs';

const PAYLOAD_BYTES = Buffer.byteLength(PAYLOAD);
const TARGETS = {
  ratio: 0.5,
  ackP99Ms: 10,
  runsPerSecond: 3000,
  workflowLoadMs: 3000,
  listP99Ms: 50,
  rssMb: 200,
};

const num = (value, digits = 0) =>
  value === undefined || Number.isNaN(value)
    ? 'n/a'
    : value.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ms = (value) => (value === undefined ? 'n/a' : `${num(value, value < 10 ? 2 : 1)} ms`);
const mb = (value) => (value === undefined ? 'n/a' : `${num(value, 0)} MB`);
const pct = (value) => `${num(value * 100, 0)}%`;
const met = (ok) => (ok === undefined ? '—' : ok ? 'yes' : '**no**');
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
};
/** Text for a markdown table cell: a pipe would end the cell (escaped even inside code spans). */
const cell = (text) => text.replace(/\|/g, '\\|');
const mean = (values) => values.reduce((sum, value) => sum + value, 0) / values.length;

const backlogTotal = (backlog) => Object.values(backlog).reduce((sum, value) => sum + value, 0);

export function machine() {
  const cores = cpus();
  return {
    cpu: `${cores[0]?.model ?? 'unknown'} × ${cores.length}`,
    memoryGb: totalmem() / 1024 ** 3,
    os: `${type()} ${release()} ${arch()}`,
    node: process.version,
    load: loadavg(),
    tmp: tmpdir(),
  };
}

export function summarise(results) {
  const { intake, e2e, workflows, list } = results;
  const summary = {};
  if (intake) {
    summary.baselineRps = mean(intake.rounds.map((round) => round.baseline.rps));
    summary.hookflowRps = mean(intake.rounds.map((round) => round.hookflow.rps));
    summary.ratio = summary.hookflowRps / summary.baselineRps;
    summary.baselineP50 = median(intake.rounds.map((round) => round.baseline.p50));
    summary.baselineP99 = Math.max(...intake.rounds.map((round) => round.baseline.p99));
    summary.hookflowP50 = median(intake.rounds.map((round) => round.hookflow.p50));
    summary.hookflowP99 = Math.max(...intake.rounds.map((round) => round.hookflow.p99));
    summary.webRps = mean(intake.rounds.map((round) => round['hookflow-web'].rps));
    summary.webP50 = median(intake.rounds.map((round) => round['hookflow-web'].p50));
    summary.webP99 = Math.max(...intake.rounds.map((round) => round['hookflow-web'].p99));
  }
  const peaks = [intake?.memory?.peak, intake?.web?.memory?.peak, e2e?.memory?.peak, list?.memory?.peak, workflows?.memory?.peak].filter(
    (value) => value !== undefined,
  );
  summary.peakRss = peaks.length > 0 ? Math.max(...peaks) : undefined;
  if (e2e) summary.runsPerSecond = e2e.runsPerSecond;
  if (workflows) summary.workflowLoadMs = workflows.registry.firstMs;
  if (list) summary.listP99 = Math.max(...list.results.map((result) => result.load.p99));
  return summary;
}

export function durabilityProblems(results) {
  const problems = [];
  for (const [name, phase] of verifiedPhases(results)) {
    const { verification } = phase;
    if (!verification.ok) {
      problems.push(
        `${name}: of ${verification.acknowledged} acknowledged deliveries, ${JSON.stringify(verification.problems)}; runs not ${verification.expected}, by status: ${JSON.stringify(verification.unexpected)}`,
      );
    }
  }
  if (results.e2e && !results.e2e.receiverOk) {
    problems.push(
      `end to end: ${results.e2e.verification.statuses.succeeded} runs succeeded but the receiver saw only ${results.e2e.receiver.distinctKeys} distinct Idempotency-Keys`,
    );
  }
  return problems;
}

function verifiedPhases(results) {
  return [
    ['intake', results.intake],
    ['intake, web role', results.intake?.web],
    ['end to end', results.e2e],
  ].filter(([, phase]) => phase);
}

export function markdown(results, { settings, mode, startedAt, host, command }) {
  const summary = summarise(results);
  const { intake, e2e, workflows, list, profiles } = results;
  const lines = [];
  const push = (...more) => lines.push(...more);
  push(
    '# Benchmarks',
    '',
    `Measured by \`${command}\` (${mode} mode) on ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC. The code is in [\`bench/\`](../bench/run.mjs); how to run it is at the end.`,
    'Benchmarks are not tests: nothing here passes or fails on timing. The bench exits non-zero only when an acknowledged delivery',
    'is missing or its run did not succeed.',
    '',
    '## Machine',
    '',
    '| | |',
    '| --- | --- |',
    `| CPU | ${host.cpu} |`,
    `| memory | ${num(host.memoryGb, 1)} GB |`,
    `| OS | ${host.os} |`,
    `| Node.js | ${host.node} |`,
    `| Hookflow | ${host.revision} |`,
    `| load average at start / end | ${host.load.map((value) => num(value, 2)).join(', ')} / ${host.loadAtEnd.map((value) => num(value, 2)).join(', ')} |`,
    `| SQLite files | in \`${host.tmp}\` |`,
    `| bench duration | ${num(host.minutes, 1)} min |`,
    '',
    'Everything runs on this one machine over loopback: the load generator (autocannon, in the bench process), the server under test,',
    'and the end-to-end receiver share its cores. Other processes may be running too: the per-round tables show how many cores',
    'the server, the load generator and everything else used on average.',
    '',
    'Hookflow runs with its default settings except `LOG_LEVEL=warn`, set by the bench: at the default `info` it logs one line per',
    'request, which cost 1–6% of web-role intake when measured on 2026-11-28 (`docs/performance-notes.md`).',
    '',
    '## Durability',
    '',
    // Keep this in step with libs/store (database.ts, data-source.ts): the bench cannot observe it.
    'Hookflow runs as `npm start` runs it, with its default storage: **SQLite in WAL mode, `synchronous=FULL` for every acknowledgement**.',
    'Each delivery and its queued run are committed, and the WAL synced to disk, before the `202` is sent; deliveries that arrive',
    'together share one transaction and one sync (group commit). Runs execute in a thread of their own, which records step and run',
    'outcomes on its own connection in *relaxed* commits (`synchronous=NORMAL`): they survive the process being killed, and the next full commit syncs them; a',
    'power loss may lose the latest, and the step then runs again with the same `Idempotency-Key`. A transform changes nothing outside',
    "its run, so its record is written with the run's next write; a crash before that only means the transform is computed again.",
    '',
    'After each phase the bench checks, through `GET /api/deliveries` and `GET /api/runs` (paged with the cursor, 500 per page), that',
    'every delivery acknowledged with a `202` exists, is `accepted` with the run id it was answered with, and that the run `succeeded`.',
    '',
  );
  for (const [name, phase] of verifiedPhases(results)) {
    const v = phase.verification;
    push(
      `- ${name}: ${num(v.acknowledged)} acknowledged; ${v.ok ? `all stored, runs ${v.expected}` : `**MISMATCH** ${JSON.stringify(v.problems)}`}` +
        ` (API: ${num(v.storedDeliveries)} deliveries ${JSON.stringify(v.outcomes)}, runs ${JSON.stringify(v.statuses)}, ${num(v.listedWithExpected)} listed by \`status=${v.expected}\`;` +
        ` ${num(v.unacknowledgedAccepted)} accepted whose answer the client did not see — in flight when the load stopped)`,
    );
  }
  if (e2e) {
    push(
      `- end to end: the receiver got ${num(e2e.receiver.requests)} POSTs with ${num(e2e.receiver.distinctKeys)} distinct \`Idempotency-Key\`s for ${num(e2e.verification.statuses.succeeded ?? 0)} succeeded runs`,
    );
  }
  push('', '## Summary', '', '| measure | result | target | met |', '| --- | --- | --- | --- |');
  if (intake) {
    push(
      `| bare \`node:http\` intake (50 connections, ${PAYLOAD_BYTES} B JSON) | ${num(summary.baselineRps)} req/s, p50 ${ms(summary.baselineP50)}, p99 ${ms(summary.baselineP99)} | reference | — |`,
      `| Hookflow durable intake, same load | ${num(summary.hookflowRps)} req/s, p50 ${ms(summary.hookflowP50)}, p99 ${ms(summary.hookflowP99)} | | |`,
      `| Hookflow / bare req/s | ${pct(summary.ratio)} | ≥ ${pct(TARGETS.ratio)} | ${met(summary.ratio >= TARGETS.ratio)} |`,
      `| acknowledgement p99 (worst round) | ${ms(summary.hookflowP99)} | < ${TARGETS.ackP99Ms} ms | ${met(summary.hookflowP99 < TARGETS.ackP99Ms)} |`,
      `| for comparison: Hookflow intake alone (\`HOOKFLOW_ROLE=web\`, no runs executed) | ${num(summary.webRps)} req/s (${pct(summary.webRps / summary.baselineRps)} of bare), p50 ${ms(summary.webP50)}, p99 ${ms(summary.webP99)} | | |`,
    );
  }
  if (e2e) {
    push(
      `| 3-step workflow end to end (transform, \`if\`, HTTP POST) | ${num(e2e.runsPerSecond)} runs/s | ≥ ${num(TARGETS.runsPerSecond)} runs/s | ${met(e2e.runsPerSecond >= TARGETS.runsPerSecond)} |`,
    );
  }
  if (workflows) {
    push(
      `| load ${num(workflows.files)} workflow files (\`WorkflowRegistry.load()\`, cold) | ${ms(workflows.registry.firstMs)} | < ${TARGETS.workflowLoadMs / 1000} s | ${met(workflows.registry.firstMs < TARGETS.workflowLoadMs)} |`,
    );
  }
  if (list) {
    push(
      `| \`GET /api/runs\` p99 with ${num(list.seed.rows)} runs (worst of ${list.results.length} queries) | ${ms(summary.listP99)} | < ${TARGETS.listP99Ms} ms | ${met(summary.listP99 < TARGETS.listP99Ms)} |`,
    );
  }
  push(
    `| Hookflow peak RSS (VmHWM, worst phase) | ${mb(summary.peakRss)} | < ${TARGETS.rssMb} MB | ${met(summary.peakRss === undefined ? undefined : summary.peakRss < TARGETS.rssMb)} |`,
  );
  if (mode !== 'full') {
    push('', `_Smoke mode: ${settings.roundSeconds} s rounds and tiny data sizes; these numbers only show that the bench works._`);
  }

  if (intake) {
    push(
      '',
      '## Intake',
      '',
      `Three servers run at once and are driven in turn with the same load: ${settings.rounds} rounds of ${settings.roundSeconds} s each after a ${settings.warmupSeconds} s warm-up,`,
      'the order rotating every round, 50 connections, closed loop (each connection sends its next request when the previous answer',
      `arrives), a ${PAYLOAD_BYTES}-byte JSON order event signed as GitHub signs its webhooks (\`X-Hub-Signature-256\`, HMAC-SHA256).`,
      '',
      '- `baseline`: a bare `node:http` server that reads the body, `JSON.parse`s it and answers `202` with a small JSON; it stores nothing.',
      '- `hookflow`: Hookflow as `npm start` runs it, serving a workflow that checks the signature and a body schema and has one transform. Its runs execute in',
      '  its runner thread during its rounds (letting intake write first), and its queue is drained after each round so that its work never overlaps another',
      "  server's round.",
      '- `hookflow-web`: the same with `HOOKFLOW_ROLE=web`: intake alone, no runs executed. Its acknowledged deliveries are verified',
      '  to be stored with their runs `queued`.',
      '',
      "Latencies are exact (not autocannon's whole-millisecond histogram).",
      '',
      '| round | server | req/s | p50 | p99 | max | non-2xx / errors | server cores | load generator cores | other processes cores |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    );
    for (const round of intake.rounds) {
      for (const name of ['baseline', 'hookflow', 'hookflow-web']) {
        const r = round[name];
        push(
          `| ${round.round} | ${name} | ${num(r.rps)} | ${ms(r.p50)} | ${ms(r.p99)} | ${ms(r.max)} | ${num(r.answered - r.ok)} / ${num(r.errors)} | ${num(r.serverCores, 2)} | ${num(r.driverCores, 2)} | ${num(r.otherCores, 2)} |`,
        );
      }
    }
    push(
      '',
      `Hookflow's queue took ${intake.rounds.map((round) => `${num(round.drainSeconds, 1)} s`).join(', ')} to drain after its rounds.`,
    );
  }

  if (e2e) {
    const v = e2e.verification;
    push(
      '',
      '## End to end',
      '',
      'A workflow that checks the signature and the body schema as above, with three steps: a JSONata transform, a transform gated by `if`,',
      'and an `http` POST (JSON body built by JSONata, a Handlebars header) to a local receiver process that answers `200` at once. ' +
        `The bench sends deliveries for ${settings.e2eSeconds} s (at most ${num(settings.e2eMaxDeliveries)}) with 50 connections, then waits until every run has finished.`,
      'Runs/s = acknowledged runs ÷ (first delivery received → last run finished).',
      '',
      '| | |',
      '| --- | --- |',
      `| deliveries acknowledged | ${num(v.acknowledged)} in ${num(e2e.load.seconds, 1)} s (${num(e2e.load.rps)} req/s, p50 ${ms(e2e.load.p50)}, p99 ${ms(e2e.load.p99)}) |`,
      `| runs not finished when the load stopped | ${JSON.stringify(e2e.backlog)} |`,
      `| runs finished while the load ran | ${num(e2e.runsPerSecondDuringLoad)} runs/s |`,
      `| time from the end of the load until the last run finished | ${num(e2e.drain.seconds, 1)} s |`,
      `| runs finished after the load stopped (runner alone) | ${num(backlogTotal(e2e.backlog) / e2e.drain.seconds)} runs/s |`,
      `| first delivery → last run finished | ${num(e2e.spanSeconds, 1)} s |`,
      `| **runs/s end to end** | **${num(e2e.runsPerSecond)}** |`,
      `| Hookflow cores during the load | ${num(e2e.load.serverCores, 2)} (load generator ${num(e2e.load.driverCores, 2)}, others ${num(e2e.load.otherCores, 2)}) |`,
    );
  }

  if (workflows) {
    push(
      '',
      '## Loading workflows',
      '',
      `${num(workflows.files)} generated files, each the 3-step end-to-end workflow (a body schema, JSONata expressions, a Handlebars template).`,
      '',
      '| | |',
      '| --- | --- |',
      `| \`WorkflowRegistry.load()\` in a fresh process (cold) | ${ms(workflows.registry.firstMs)} |`,
      `| \`WorkflowRegistry.load()\` again in that process (best of 2) | ${ms(workflows.registry.bestMs)} |`,
      `| Hookflow start to listening with them (fresh database) | ${ms(workflows.serverStartMs)} (${num(workflows.active)} active) |`,
      `| Hookflow peak RSS with them | ${mb(workflows.memory?.peak)} |`,
    );
  }

  if (list) {
    push(
      '',
      '## Listing runs',
      '',
      `A fresh database with the schema from Hookflow's migrations and ${num(list.seed.rows)} finished runs inserted directly (UUIDv7 ids, 20 days,`,
      `10 workflows; 90% succeeded, 8% failed, 2% cancelled; ~700-byte triggers; ${num(list.seed.fileMb)} MB; seeded in ${num(list.seed.seconds, 1)} s, no \`ANALYZE\`).`,
      `Hookflow is then started on it and each query is driven for ${settings.listSeconds} s with 10 connections (limit 50, bearer token).`,
      '',
      '| query | first request | req/s | p50 | p99 | max |',
      '| --- | --- | --- | --- | --- | --- |',
    );
    for (const result of list.results) {
      push(
        `| \`${result.path.replace(/cursor=[^&]+/, 'cursor=…')}\` | ${ms(result.firstMs)} | ${num(result.load.rps)} | ${ms(result.load.p50)} | ${ms(result.load.p99)} | ${ms(result.load.max)} |`,
      );
    }
  }

  push('', '## Memory', '', '| phase | Hookflow peak RSS (VmHWM) | RSS at the end |', '| --- | --- | --- |');
  for (const [name, phase] of [
    ['intake', intake],
    ['intake, web role', intake?.web],
    ['end to end', e2e],
    [`${num(workflows?.files)} workflows loaded`, workflows],
    [`listing ${num(list?.seed.rows)} runs`, list],
  ]) {
    if (phase) push(`| ${name} | ${mb(phase.memory?.peak)} | ${mb(phase.memory?.rss)} |`);
  }

  for (const profile of profiles ?? []) {
    const s = profile.summary;
    const what =
      profile.kind === 'intake'
        ? `(its main thread) during ${settings.roundSeconds} s of the intake load (one-transform workflow, its runs executing alongside in the runner thread; ${num(profile.load.rps)} req/s under the profiler)`
        : `(its runner thread) while it executed the ${num(profile.load.answered)} end-to-end runs queued by ${settings.roundSeconds} s of load, with no intake going on (${num(profile.drainSeconds, 1)} s)`;
    push(
      '',
      profile.kind === 'intake' ? '## Where intake time goes' : '## Where the runner’s time goes',
      '',
      `\`node --cpu-prof\` on Hookflow ${what}; ${num(s.seconds, 1)} s of samples from that window. A blocking native call (better-sqlite3`,
      'waiting for a sync to disk) counts as time in the JS frame that made it; `(idle)` is the event loop waiting.',
      '',
      '| by package or library (self time) | share |',
      '| --- | --- |',
      ...s.areas.map((entry) => `| ${cell(entry.name)} | ${pct(entry.share)} |`),
      '',
      '| function (self time) | share |',
      '| --- | --- |',
      ...s.self.map((entry) => `| \`${cell(entry.name)}\` | ${pct(entry.share)} |`),
      '',
      '| function (inclusive time) | share |',
      '| --- | --- |',
      ...s.inclusive.map((entry) => `| \`${cell(entry.name)}\` | ${pct(entry.share)} |`),
    );
  }
  if (results.notes?.length) push('', '## Notes', '', ...results.notes.map((note) => `- ${note}`));

  push(
    '',
    '## Reproducing',
    '',
    '```sh',
    'npm ci',
    'npm run bench                 # builds, runs every phase (a few minutes; see "bench duration" above), writes this file',
    'npm run bench -- --profile    # the same, plus CPU profiles of Hookflow during intake and while its runner works',
    'npm run bench:smoke           # a few seconds per phase, tiny data sizes; prints the report, writes nothing',
    '```',
    '',
    'Options after `--`: `--smoke`, `--profile`, `--only intake,e2e,workflows,list`, `--out <file>` (default: this file in full mode,',
    'nothing in smoke mode). The bench starts its own processes on loopback ports, in a temp folder, and removes them when it ends,',
    'however it ends.',
    '',
  );
  return lines.join('\n');
}
