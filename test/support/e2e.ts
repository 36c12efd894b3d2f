/**
 * node:test helpers that own the servers and receivers they start. `e2e(name, fn)` is a test
 * whose servers are always stopped when it ends, passed or failed; `shared(setup)` starts
 * servers once for a describe block (booting Hookflow takes seconds) and stops them after
 * it. A failing test prints what the Hookflow processes it used logged, since that is
 * usually where the reason is.
 */
import { after, before, test, type TestContext } from 'node:test';
import { startHookflow, type Hookflow, type HookflowOptions } from './hookflow.js';
import { startReceiver, type Receiver, type ReceiverOptions } from './receiver.js';

export interface Scenario {
  hookflow(options: HookflowOptions): Promise<Hookflow>;
  receiver(options?: ReceiverOptions): Promise<Receiver>;
}

/** Servers started by `shared`, reported when any test fails while they run. */
const sharedServers = new Set<Hookflow>();

function tracker(): { scenario: Scenario; servers: Hookflow[]; close(): Promise<void> } {
  const servers: Hookflow[] = [];
  const receivers: Receiver[] = [];
  return {
    servers,
    scenario: {
      async hookflow(options) {
        const server = await startHookflow(options);
        servers.push(server);
        return server;
      },
      async receiver(options) {
        const receiver = await startReceiver(options);
        receivers.push(receiver);
        return receiver;
      },
    },
    async close() {
      await Promise.allSettled(servers.map((server) => server.stop()));
      await Promise.allSettled(receivers.map((receiver) => receiver.close()));
    },
  };
}

export function e2e(name: string, fn: (scenario: Scenario, t: TestContext) => Promise<void>, options: { timeout?: number } = {}): void {
  test(name, { timeout: options.timeout ?? 60_000 }, async (t) => {
    const own = tracker();
    try {
      await fn(own.scenario, t);
    } catch (error) {
      for (const server of [...own.servers, ...sharedServers]) {
        console.error(
          `----- hookflow output (${server.dir}) for failed test "${name}" -----\n${server.logs().split('\n').slice(-150).join('\n')}`,
        );
      }
      throw error;
    } finally {
      await own.close();
    }
  });
}

/** Runs `setup` once before the enclosing describe's tests; what it started is stopped after them. */
export function shared<T>(setup: (scenario: Scenario) => Promise<T>): () => T {
  const own = tracker();
  let value: { ready: true; value: T } | undefined;
  before(async () => {
    value = { ready: true, value: await setup(own.scenario) };
    for (const server of own.servers) sharedServers.add(server);
  });
  after(async () => {
    for (const server of own.servers) sharedServers.delete(server);
    await own.close();
  });
  return () => {
    if (!value) throw new Error('the shared setup has not run (or failed)');
    return value.value;
  };
}
