/** Reading Hookflow's `/metrics` (Prometheus text exposition) in e2e tests. */
import { FINISHED, type Hookflow, type RunStatus } from './hookflow.js';

/** The value of one sample of the exposition text, by its exact name and labels. */
export function metricSample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/**
 * Waits until `hookflow_runs_total` counts the workflow's finished runs as `expected` (a status left
 * out: none); a run counted under another status fails the test. A counter moves just after the
 * record it counts is written, so a test that has seen the record polls for the counter.
 */
export async function expectRunsCounted(server: Hookflow, workflow: string, expected: Partial<Record<RunStatus, number>>): Promise<void> {
  let seen: Record<string, number> = {};
  await server
    .waitFor(async () => {
      const { text } = await server.api('/metrics', { token: null });
      seen = Object.fromEntries(
        FINISHED.map((status) => [status, metricSample(text, `hookflow_runs_total{workflow="${workflow}",status="${status}"}`) ?? 0]),
      );
      return FINISHED.every((status) => seen[status] === (expected[status] ?? 0)) || undefined;
    }, 10_000)
    .catch(() => {
      throw new Error(`hookflow_runs_total for ${workflow}: expected ${JSON.stringify(expected)}, saw ${JSON.stringify(seen)}`);
    });
}
