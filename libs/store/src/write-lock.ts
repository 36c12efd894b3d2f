/**
 * One writer at a time across the threads of this process that write to one SQLite file (the
 * main thread and the runner thread, each with a connection of its own). SQLite serialises
 * writers itself, but a connection that finds the file locked sleeps in its busy handler (1 ms,
 * then 2, 5, 10…) with its whole thread blocked; here a writer that finds the lock taken waits
 * without blocking its thread (Atomics.waitAsync) and is woken the moment the holder releases it.
 *
 * The lock lives in a SharedArrayBuffer that both threads see. It says who holds it, so that
 * when a thread dies holding it, the main thread can free it (`releaseHeldBy`), and counts how
 * often each holder took it, so that the runner can tell whether intake has been writing.
 */

/** Who holds the lock: nobody, or the holder's number (each thread picks its own). */
const FREE = 0;
/** The cells of the shared memory: who holds the lock, then how many times each holder took it. */
const HOLDER = 0;
const HOLDERS = 3;

/** How long a waiter sleeps before looking again, should a wake-up ever be missed. */
const RECHECK_MS = 50;

export class WriteLock {
  private readonly cells: Int32Array;

  /**
   * @param holder this connection's number (MAIN_THREAD_WRITER, RUNNER_THREAD_WRITER, HELPER_RUNNER_WRITER)
   * @param buffer the shared lock; a new one when omitted
   */
  constructor(
    private readonly holder: number,
    buffer: SharedArrayBuffer = new SharedArrayBuffer((1 + HOLDERS) * Int32Array.BYTES_PER_ELEMENT),
  ) {
    if (holder < 1 || holder > HOLDERS) throw new Error(`a WriteLock holder is a number from 1 to ${HOLDERS}`);
    this.cells = new Int32Array(buffer);
  }

  /** The shared memory, to hand to another thread's WriteLock. */
  get buffer(): SharedArrayBuffer {
    return this.cells.buffer as SharedArrayBuffer;
  }

  async acquire(): Promise<void> {
    for (;;) {
      const current = Atomics.compareExchange(this.cells, HOLDER, FREE, this.holder);
      if (current === FREE) break;
      const waiting = Atomics.waitAsync(this.cells, HOLDER, current, RECHECK_MS);
      if (waiting.async) await waiting.value;
    }
    Atomics.add(this.cells, this.holder, 1);
  }

  release(): void {
    Atomics.store(this.cells, HOLDER, FREE);
    Atomics.notify(this.cells, HOLDER);
  }

  /** Frees the lock if `holder` holds it (a thread that died holding it); answers whether it did. */
  releaseHeldBy(holder: number): boolean {
    const freed = Atomics.compareExchange(this.cells, HOLDER, holder, FREE) === holder;
    if (freed) Atomics.notify(this.cells, HOLDER);
    return freed;
  }

  /** How many times `holder` has taken the lock so far (wrapping): tells whether it wrote since an earlier look. */
  takenBy(holder: number): number {
    return Atomics.load(this.cells, holder);
  }
}

/** Intake and the API, on the main thread's main connection. */
export const MAIN_THREAD_WRITER = 1;
export const RUNNER_THREAD_WRITER = 2;
/** The runner the main thread runs while intake is quiet, on a connection of its own. */
export const HELPER_RUNNER_WRITER = 3;
