import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { createLogger, RequestLog } from '#libs/logging';
import { readBody } from './body.reader.js';
import { HooksHttpHandler } from './hooks.http.js';
import type { HookAnswer, HooksService, IncomingHook } from './hooks.service.js';

/** The handler on a real loopback server, in front of a stand-in for HooksService; request log lines are captured. */
async function withHandler(
  receive: (hook: IncomingHook) => Promise<HookAnswer>,
  run: (base: string, logged: () => Record<string, unknown>[]) => Promise<void>,
) {
  const raw: string[] = [];
  const requests = new RequestLog(createLogger('info', { write: (line: string) => void raw.push(line) }).pino);
  const handler = new HooksHttpHandler({ receive } as HooksService, requests);
  const server = createServer((request, response) => handler.handle(request, response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, () =>
      raw.map((line) => JSON.parse(line) as Record<string, unknown>),
    );
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe('HooksHttpHandler', () => {
  it('serves exactly the paths under /hooks/', () => {
    assert.equal(HooksHttpHandler.serves('/hooks/a/b?x=1'), true);
    assert.equal(HooksHttpHandler.serves('/hooks/'), true);
    assert.equal(HooksHttpHandler.serves('/hooks'), false);
    assert.equal(HooksHttpHandler.serves('/api/runs'), false);
    assert.equal(HooksHttpHandler.serves('//hooks/a'), false);
    assert.equal(HooksHttpHandler.serves(undefined), false);
  });

  it('hands intake the method, path, query, headers, address and the unread body, and sends its answer as JSON', async () => {
    let seen: (IncomingHook & { text: string }) | undefined;
    const receive = async (hook: IncomingHook): Promise<HookAnswer> => {
      const read = await readBody(hook.body, 1024);
      seen = { ...hook, text: read.ok ? read.body.toString('utf8') : '' };
      return { status: 202, body: { deliveryId: 'd1', runId: 'r1' }, headers: { 'retry-after': '3' } };
    };
    await withHandler(receive, async (base, logged) => {
      const answer = await fetch(`${base}/hooks/orders?a=1&a=2&b=%20x`, {
        method: 'POST',
        headers: { 'content-type': 'foo', 'x-request-id': 'req-42' },
        body: '{"id":1}',
      });
      assert.equal(answer.status, 202);
      assert.deepEqual(await answer.json(), { deliveryId: 'd1', runId: 'r1' });
      assert.equal(answer.headers.get('content-type'), 'application/json; charset=utf-8');
      assert.equal(answer.headers.get('x-request-id'), 'req-42', 'an incoming request id that looks like one is kept');
      assert.equal(answer.headers.get('retry-after'), '3');
      assert.equal(seen?.method, 'POST');
      assert.equal(seen?.path, 'orders');
      assert.deepEqual(seen?.query, { a: ['1', '2'], b: ' x' });
      assert.equal(seen?.headers['content-type'], 'foo', 'a Content-Type that is no media type reaches intake as sent');
      assert.equal(seen?.remoteAddress, '127.0.0.1');
      assert.equal(seen?.text, '{"id":1}');
      await waitFor(() => logged().length > 0);
      const [line] = logged();
      assert.equal(line?.reqId, 'req-42');
      assert.equal(line?.method, 'POST');
      assert.equal(line?.url, '/hooks/orders', 'the query is never logged');
      assert.equal(line?.status, 202);
    });
  });

  it('answers an unexpected error with a 500 naming the request id, and logs it', async () => {
    await withHandler(
      () => Promise.reject(new Error('a bug')),
      async (base, logged) => {
        const answer = await fetch(`${base}/hooks/x`, { method: 'POST', body: '{}' });
        assert.equal(answer.status, 500);
        const id = answer.headers.get('x-request-id');
        assert.ok(id);
        assert.deepEqual(await answer.json(), { error: { code: 'INTERNAL_ERROR', message: `unexpected error; request id ${id}` } });
        await waitFor(() => logged().some((line) => line.msg === 'request completed'));
        assert.ok(logged().some((line) => line.reqId === id && line.status === 500 && line.level === 'warn'));
      },
    );
  });

  it('closes the connection after an answer that asks for it, leaving the rest of the body unread', async () => {
    await withHandler(
      async () => ({ status: 413, body: { error: { code: 'PAYLOAD_TOO_LARGE', message: 'too large' } }, close: true }),
      async (base) => {
        const answer = await fetch(`${base}/hooks/x`, { method: 'POST', body: 'x'.repeat(10_000) });
        assert.equal(answer.status, 413);
        assert.equal(answer.headers.get('connection'), 'close');
      },
    );
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let tries = 0; !condition(); tries++) {
    if (tries > 100) throw new Error('timed out waiting for a log line');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
