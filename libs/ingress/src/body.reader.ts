// Reads a webhook body with a hard cap, so an oversized upload costs at most `limit` plus one
// chunk of memory. The reader stops pulling the moment the cap is passed but deliberately does
// not destroy the stream: destroying an unfinished HTTP request resets its socket, and the
// sender would then see a connection error instead of the 413 the caller answers (with
// `Connection: close`, which closes the socket once that answer is written).

import { Readable } from 'node:stream';

export type ReadBodyResult = { ok: true; body: Buffer } | { ok: false; reason: 'too-large'; received: number };

export async function readBody(
  stream: AsyncIterable<Buffer | string> & { destroy?(): void },
  limit: number,
  declaredLength?: number,
): Promise<ReadBodyResult> {
  if (declaredLength !== undefined && declaredLength > limit) return { ok: false, reason: 'too-large', received: 0 };
  if (stream instanceof Readable) return readStream(stream, limit);

  // A manual iterator rather than `for await`: breaking out of `for await` calls `return()`,
  // which destroys a Node Readable (see the header).
  const iterator = stream[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let received = 0;
  for (;;) {
    const next = await iterator.next();
    if (next.done) break;
    const chunk = typeof next.value === 'string' ? Buffer.from(next.value, 'utf8') : next.value;
    received += chunk.length;
    if (received > limit) return { ok: false, reason: 'too-large', received };
    chunks.push(chunk);
  }
  return { ok: true, body: Buffer.concat(chunks, received) };
}

const CLOSED = 'the request was closed before its body ended';

/**
 * A Node stream (an HTTP request) read through its events, which costs less than its async
 * iterator; past the limit the stream is paused, not destroyed.
 */
function readStream(stream: Readable, limit: number): Promise<ReadBodyResult> {
  if (stream.destroyed) {
    // Its 'error' (if not emitted yet) would be unheard; the rejection reports it.
    stream.once('error', () => undefined);
    return Promise.reject(stream.errored ?? new Error(CLOSED));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const settle = (): void => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
    };
    const onData = (value: Buffer | string): void => {
      const chunk = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
      received += chunk.length;
      if (received > limit) {
        settle();
        stream.pause();
        resolve({ ok: false, reason: 'too-large', received });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      settle();
      resolve({ ok: true, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received) });
    };
    const onError = (error: Error): void => {
      settle();
      reject(error);
    };
    // Closed before its end (the sender went away): nothing more will come.
    const onClose = (): void => onError(new Error(CLOSED));
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', onError);
    stream.once('close', onClose);
  });
}
