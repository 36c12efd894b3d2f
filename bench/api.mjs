// Hookflow's inspection API as the bench uses it: waiting for the queue to drain, and checking
// that every acknowledged delivery was stored and its run succeeded.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { URLSearchParams } from 'node:url';

const PAGE = 500;
const UNFINISHED = ['queued', 'running', 'waiting'];

export function hookflowApi(baseUrl, token) {
  async function get(path) {
    const response = await globalThis.fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
    if (!response.ok) throw new Error(`GET ${path} answered ${response.status}: ${await response.text()}`);
    return response.json();
  }

  /** Every item of a list endpoint, newest first, following nextCursor with pages of 500. */
  async function all(path, filter) {
    const items = [];
    let cursor;
    do {
      const query = new URLSearchParams({ ...filter, limit: String(PAGE), ...(cursor ? { cursor } : {}) });
      const page = await get(`${path}?${query}`);
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return items;
  }

  /** Runs of the workflow still queued, running or waiting (0 or 1 each: enough to know). */
  async function unfinished(workflowId) {
    const pages = await Promise.all(
      UNFINISHED.map((status) => get(`/api/runs?${new URLSearchParams({ workflowId, status, limit: '1' })}`)),
    );
    return pages.reduce((sum, page) => sum + page.items.length, 0);
  }

  /** Waits until no run of the workflow is unfinished; answers whether it got there in time. */
  async function drain(workflowId, timeoutMs) {
    const started = performance.now();
    while (performance.now() - started < timeoutMs) {
      if ((await unfinished(workflowId)) === 0) return { drained: true, seconds: (performance.now() - started) / 1000 };
      await sleep(200);
    }
    return { drained: false, seconds: (performance.now() - started) / 1000 };
  }

  /**
   * Checks every acknowledged delivery (deliveryId → runId, from the 202 answers) against
   * GET /api/deliveries and GET /api/runs: the delivery exists, is `accepted` with that run,
   * and the run has the expected status (`succeeded`; `queued` where no worker runs).
   * Deliveries the API has beyond the acknowledged ones (answers still in flight when the load
   * stopped) are counted, not failures.
   */
  async function verify(workflowId, acknowledged, expected = 'succeeded') {
    const deliveries = await all('/api/deliveries', { workflowId });
    const runs = await all('/api/runs', { workflowId });
    const listed = await all('/api/runs', { workflowId, status: expected });
    const deliveryById = new Map(deliveries.map((delivery) => [delivery.id, delivery]));
    const runById = new Map(runs.map((run) => [run.id, run]));
    const problems = { missingDelivery: 0, wrongDelivery: 0, missingRun: 0, runNotExpected: 0 };
    const unexpected = {};
    let firstReceived = Infinity;
    let lastFinished = -Infinity;
    for (const [deliveryId, runId] of acknowledged) {
      const delivery = deliveryById.get(deliveryId);
      if (!delivery) problems.missingDelivery++;
      else if (delivery.outcome !== 'accepted' || delivery.runId !== runId) problems.wrongDelivery++;
      else firstReceived = Math.min(firstReceived, Date.parse(delivery.receivedAt));
      const run = runById.get(runId);
      if (!run) problems.missingRun++;
      else if (run.status !== expected) {
        problems.runNotExpected++;
        unexpected[run.status] = (unexpected[run.status] ?? 0) + 1;
      } else if (run.finishedAt) lastFinished = Math.max(lastFinished, Date.parse(run.finishedAt));
    }
    const outcomes = count(deliveries, (delivery) => delivery.outcome);
    const statuses = count(runs, (run) => run.status);
    return {
      acknowledged: acknowledged.size,
      storedDeliveries: deliveries.length,
      outcomes,
      statuses,
      expected,
      listedWithExpected: listed.length,
      unacknowledgedAccepted: (outcomes.accepted ?? 0) - (acknowledged.size - problems.missingDelivery - problems.wrongDelivery),
      problems,
      unexpected,
      ok: Object.values(problems).every((value) => value === 0),
      firstReceived,
      lastFinished,
      finishedAt: runs.map((run) => (run.finishedAt ? Date.parse(run.finishedAt) : undefined)),
    };
  }

  return { get, all, unfinished, drain, verify };
}

function count(items, key) {
  const counts = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}
