import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { MAIN_THREAD_WRITER, RUNNER_THREAD_WRITER, WriteLock } from './write-lock.js';

describe('WriteLock', () => {
  it('lets one holder in at a time, and the waiter in as soon as the holder releases it', async () => {
    const main = new WriteLock(MAIN_THREAD_WRITER);
    const runner = new WriteLock(RUNNER_THREAD_WRITER, main.buffer);
    const events: string[] = [];
    await main.acquire();
    const waiting = runner.acquire().then(() => events.push('runner in'));
    await sleep(20);
    events.push('main out');
    main.release();
    await waiting;
    runner.release();
    assert.deepEqual(events, ['main out', 'runner in']);
  });

  it('keeps writers in two threads from overlapping', async () => {
    const lock = new WriteLock(MAIN_THREAD_WRITER);
    const counter = new Int32Array(new SharedArrayBuffer(4));
    const rounds = 200;
    // Each side reads the counter, yields, and writes it back plus one: without the lock, updates are lost.
    const module = new URL('./write-lock.js', import.meta.url).href;
    const worker = new Worker(
      `const { workerData, parentPort } = require('node:worker_threads');
       import(workerData.module).then(async ({ WriteLock }) => {
         const lock = new WriteLock(${RUNNER_THREAD_WRITER}, workerData.lock);
         const counter = new Int32Array(workerData.counter);
         for (let i = 0; i < workerData.rounds; i++) {
           await lock.acquire();
           const seen = counter[0];
           await new Promise((resolve) => setImmediate(resolve));
           counter[0] = seen + 1;
           lock.release();
         }
         parentPort.postMessage('done');
       });`,
      { eval: true, workerData: { module, lock: lock.buffer, counter: counter.buffer, rounds } },
    );
    const done = new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    for (let i = 0; i < rounds; i++) {
      await lock.acquire();
      const seen = counter[0]!;
      await new Promise((resolve) => setImmediate(resolve));
      counter[0] = seen + 1;
      lock.release();
    }
    await done;
    await worker.terminate();
    assert.equal(counter[0], 2 * rounds);
  });

  it('can be freed for a holder that died holding it, and only for that holder', async () => {
    const main = new WriteLock(MAIN_THREAD_WRITER);
    const runner = new WriteLock(RUNNER_THREAD_WRITER, main.buffer);
    await runner.acquire();
    assert.equal(main.releaseHeldBy(MAIN_THREAD_WRITER), false);
    assert.equal(main.releaseHeldBy(RUNNER_THREAD_WRITER), true);
    await main.acquire();
    assert.equal(main.releaseHeldBy(RUNNER_THREAD_WRITER), false);
    main.release();
  });
});
