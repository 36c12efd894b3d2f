import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { readBody } from './body.reader.js';

describe('readBody', () => {
  const cases: Array<{
    name: string;
    chunks: Array<string | Buffer>;
    limit: number;
    declared?: number;
    expected: unknown;
  }> = [
    {
      name: 'reads an empty stream as an empty body',
      chunks: [],
      limit: 10,
      expected: { ok: true, body: Buffer.alloc(0) },
    },
    {
      name: 'joins buffer chunks',
      chunks: [Buffer.from('ab'), Buffer.from('cd')],
      limit: 10,
      expected: { ok: true, body: Buffer.from('abcd') },
    },
    {
      name: 'encodes string chunks as UTF-8',
      chunks: ['hé', 'llo'],
      limit: 10,
      expected: { ok: true, body: Buffer.from('héllo') },
    },
    {
      name: 'accepts a body of exactly the limit',
      chunks: ['12345', '67890'],
      limit: 10,
      expected: { ok: true, body: Buffer.from('1234567890') },
    },
    {
      name: 'counts bytes, not characters',
      chunks: ['ééééé', 'é'],
      limit: 11,
      expected: { ok: false, reason: 'too-large', received: 12 },
    },
    {
      name: 'answers too-large once the total passes the limit',
      chunks: ['12345', '67890', 'x'],
      limit: 10,
      expected: { ok: false, reason: 'too-large', received: 11 },
    },
    {
      name: 'answers too-large when a declared length is over the limit, reading nothing',
      chunks: ['a'],
      limit: 10,
      declared: 11,
      expected: { ok: false, reason: 'too-large', received: 0 },
    },
    {
      name: 'does not trust a declared length under the limit',
      chunks: ['12345678901'],
      limit: 10,
      declared: 3,
      expected: { ok: false, reason: 'too-large', received: 11 },
    },
    {
      name: 'reads a body whose declared length is within the limit',
      chunks: ['abc'],
      limit: 10,
      declared: 3,
      expected: { ok: true, body: Buffer.from('abc') },
    },
  ];
  for (const { name, chunks, limit, declared, expected } of cases) {
    it(name, async () => assert.deepEqual(await readBody(Readable.from(chunks), limit, declared), expected));
  }

  it('stops pulling from a lazy 50 MB source right after the limit', async () => {
    let pulled = 0;
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    async function* fiftyMegabytes() {
      for (let i = 0; i < 800; i++) {
        pulled++;
        yield chunk;
      }
    }
    const result = await readBody(fiftyMegabytes(), 1024 * 1024);
    assert.deepEqual(result, { ok: false, reason: 'too-large', received: 17 * chunk.length });
    assert.equal(pulled, 17);
  });

  it('pulls nothing when the declared length is already too large', async () => {
    let pulled = 0;
    async function* source() {
      pulled++;
      yield 'a';
    }
    await readBody(source(), 10, 50 * 1024 * 1024);
    assert.equal(pulled, 0);
  });

  it('leaves an oversized stream open so the caller can still answer 413', async () => {
    const stream = Readable.from(['12345', '67890', 'x', 'more']);
    const result = await readBody(stream, 10);
    assert.equal(result.ok, false);
    assert.equal(stream.destroyed, false);
  });

  it('rejects when the stream closes before its end (the sender went away)', async () => {
    const stream = new Readable({ read() {} });
    stream.push('ab');
    setImmediate(() => stream.destroy());
    await assert.rejects(readBody(stream, 10), /closed before its body ended/);
  });

  it('passes on a stream error', async () => {
    const stream = new Readable({ read() {} });
    stream.push('ab');
    stream.destroy(new Error('client aborted'));
    await assert.rejects(readBody(stream, 10), /client aborted/);
  });
});
