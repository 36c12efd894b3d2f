// One load round with autocannon (closed loop: each connection sends its next request when the
// previous answer arrives). Latencies are kept exactly (autocannon's own histogram is in
// whole milliseconds), and every JSON answer can be handed to a callback, e.g. to collect the
// deliveries Hookflow acknowledged.
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { cpuSeconds, machineBusySeconds } from './children.mjs';

/**
 * @param {object} options
 * @param {string} options.url
 * @param {number} options.connections
 * @param {number} options.seconds
 * @param {number} [options.maxRequests] stop early after this many answers
 * @param {(status: number, body: string) => void} [options.onAnswer]
 * @param {number} [options.serverPid] to report the server's CPU use during the round
 */
export async function hammer({ url, connections, seconds, method = 'GET', headers = {}, body, maxRequests, onAnswer, serverPid }) {
  const latencies = [];
  const statuses = {};
  let answered = 0;
  const before = {
    at: performance.now(),
    wall: Date.now(),
    server: cpuSeconds(serverPid),
    machine: machineBusySeconds(),
    self: process.cpuUsage(),
  };
  const instance = autocannon({
    url,
    connections,
    duration: seconds,
    method,
    headers,
    body,
    timeout: 30,
    renderProgressBar: false,
    renderResultsTable: false,
    renderLatencyTable: false,
    ...(onAnswer ? { requests: [{ onResponse: (status, text) => onAnswer(status, text) }] } : {}),
  });
  instance.on('response', (_client, status, _bytes, responseTime) => {
    latencies.push(responseTime);
    statuses[status] = (statuses[status] ?? 0) + 1;
    answered++;
    if (maxRequests !== undefined && answered === maxRequests) instance.stop();
  });
  const result = await instance;
  const elapsed = (performance.now() - before.at) / 1000;
  const after = { server: cpuSeconds(serverPid), machine: machineBusySeconds(), self: process.cpuUsage(before.self) };
  latencies.sort((a, b) => a - b);
  const serverCpu = before.server !== undefined && after.server !== undefined ? after.server - before.server : undefined;
  const driverCpu = (after.self.user + after.self.system) / 1e6;
  const machineCpu = before.machine !== undefined && after.machine !== undefined ? after.machine - before.machine : undefined;
  return {
    seconds: elapsed,
    startedAt: before.wall,
    endedAt: Date.now(),
    answered,
    ok: answered - Object.entries(statuses).reduce((sum, [status, count]) => (Number(status) >= 300 ? sum + count : sum), 0),
    statuses,
    errors: result.errors,
    timeouts: result.timeouts,
    rps: answered / elapsed,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    max: latencies[latencies.length - 1],
    // cores in use on average during the round: by the server, by this process (the load
    // generator), and by everything else on the machine
    serverCores: serverCpu === undefined ? undefined : serverCpu / elapsed,
    driverCores: driverCpu / elapsed,
    otherCores:
      machineCpu === undefined || serverCpu === undefined ? undefined : Math.max(0, (machineCpu - serverCpu - driverCpu) / elapsed),
  };
}

export function percentile(sorted, q) {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
