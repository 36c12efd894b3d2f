// Reads a webhook body with a hard cap, so an oversized upload costs at most `limit` plus one
// chunk of memory. The reader stops pulling the moment the cap is passed but deliberately does
// not destroy the stream: destroying an unfinished HTTP request resets its socket, and the
// sender would then see a connection error instead of the 413 the caller answers (with
// `Connection: close`, which closes the socket once that answer is written).

export type ReadBodyResult = { ok: true; body: Buffer } | { ok: false; reason: 'too-large'; received: number };

export async function readBody(
  stream: AsyncIterable<Buffer | string> & { destroy?(): void },
  limit: number,
  declaredLength?: number,
): Promise<ReadBodyResult> {
  if (declaredLength !== undefined && declaredLength > limit) return { ok: false, reason: 'too-large', received: 0 };

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
