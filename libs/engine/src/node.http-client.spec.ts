import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { HttpTransportError, type HttpRequest } from './engine.types.js';
import { NodeHttpClient } from './node.http-client.js';

interface Received {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A real local server for one test: records what it received, answers with `handler`. */
async function withServer(
  handler: (request: IncomingMessage, response: ServerResponse) => void,
  run: (base: string, received: Received[]) => Promise<void>,
): Promise<void> {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ method: request.method!, url: request.url!, headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      handler(request, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    await run(`http://127.0.0.1:${port}`, received);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function request(url: string, overrides: Partial<HttpRequest> = {}): HttpRequest {
  return { method: 'GET', url, headers: {}, timeoutMs: 5000, ...overrides };
}

function transportError(code: HttpTransportError['code']): (error: unknown) => boolean {
  return (error) => error instanceof HttpTransportError && error.code === code;
}

describe('NodeHttpClient', () => {
  it('sends the method, headers and body', async () => {
    await withServer(
      (_request, response) => response.end(),
      async (base, received) => {
        await new NodeHttpClient().send(
          request(`${base}/hook?x=1`, {
            method: 'PUT',
            headers: { 'content-type': 'application/json', 'idempotency-key': 'run-1.notify', authorization: 'Bearer t' },
            body: '{"a":"é"}',
          }),
        );
        assert.equal(received.length, 1);
        const [got] = received;
        assert.equal(got!.method, 'PUT');
        assert.equal(got!.url, '/hook?x=1');
        assert.equal(got!.headers['content-type'], 'application/json');
        assert.equal(got!.headers['idempotency-key'], 'run-1.notify');
        assert.equal(got!.headers.authorization, 'Bearer t');
        assert.equal(got!.body, '{"a":"é"}');
      },
    );
  });

  for (const method of ['GET', 'POST', 'PATCH', 'DELETE']) {
    it(`sends ${method}`, async () => {
      await withServer(
        (_request, response) => response.end(),
        async (base, received) => {
          await new NodeHttpClient().send(request(base, { method }));
          assert.equal(received[0]?.method, method);
        },
      );
    });
  }

  const answers: Array<[string, number, string]> = [
    ['a 2xx answer', 201, '{"id":7}'],
    ['a 4xx answer', 422, '{"error":"bad"}'],
    ['a 5xx answer', 503, 'down'],
    ['an empty answer', 204, ''],
  ];
  for (const [name, status, body] of answers) {
    it(`returns ${name} with its status, lower-case headers and body`, async () => {
      await withServer(
        (_request, response) => {
          response.writeHead(status, { 'Content-Type': 'application/json', 'X-Reply': 'yes', 'Retry-After': '3' });
          response.end(body);
        },
        async (base) => {
          const response = await new NodeHttpClient().send(request(base));
          assert.equal(response.status, status);
          assert.equal(response.body, body);
          assert.equal(response.headers['content-type'], 'application/json');
          assert.equal(response.headers['x-reply'], 'yes');
          assert.equal(response.headers['retry-after'], '3');
        },
      );
    });
  }

  it('returns a redirect as it is, without following it', async () => {
    await withServer(
      (incoming, response) => {
        if (incoming.url === '/from') response.writeHead(302, { Location: '/to' }).end('moved');
        else response.end('followed');
      },
      async (base, received) => {
        const response = await new NodeHttpClient().send(request(`${base}/from`));
        assert.equal(response.status, 302);
        assert.equal(response.headers.location, '/to');
        assert.deepEqual(
          received.map((got) => got.url),
          ['/from'],
        );
      },
    );
  });

  it('fails with TIMEOUT when no answer comes in time', async () => {
    await withServer(
      () => undefined,
      async (base) => {
        await assert.rejects(new NodeHttpClient().send(request(base, { timeoutMs: 50 })), transportError('TIMEOUT'));
      },
    );
  });

  it('fails with TIMEOUT when the body stops coming', async () => {
    await withServer(
      (_request, response) => {
        response.writeHead(200, { 'Content-Type': 'text/plain' });
        response.write('first part');
      },
      async (base) => {
        await assert.rejects(new NodeHttpClient().send(request(base, { timeoutMs: 100 })), transportError('TIMEOUT'));
      },
    );
  });

  it('fails with NETWORK_ERROR when the connection is refused', async () => {
    let closedBase = '';
    await withServer(
      () => undefined,
      async (base) => {
        closedBase = base;
      },
    );
    await assert.rejects(
      new NodeHttpClient().send(request(closedBase)),
      (error: unknown) => transportError('NETWORK_ERROR')(error) && /ECONNREFUSED/.test((error as Error).message),
    );
  });

  it('fails with NETWORK_ERROR when the server drops the connection', async () => {
    await withServer(
      (incoming) => incoming.socket.destroy(),
      async (base) => {
        await assert.rejects(new NodeHttpClient().send(request(base)), transportError('NETWORK_ERROR'));
      },
    );
  });

  const sizes: Array<[string, (response: ServerResponse) => void]> = [
    ['with a Content-Length', (response) => response.writeHead(200, { 'Content-Length': '2000' }).end('x'.repeat(2000))],
    [
      'streamed in chunks',
      (response) => {
        response.writeHead(200);
        for (let i = 0; i < 20; i += 1) response.write('x'.repeat(100));
        response.end();
      },
    ],
    [
      'compressed small but large unpacked',
      (response) => {
        response.writeHead(200, { 'Content-Encoding': 'gzip' }).end(gzipSync('x'.repeat(100_000)));
      },
    ],
  ];
  for (const [name, answer] of sizes) {
    it(`fails with RESPONSE_TOO_LARGE for a response over the limit ${name}`, async () => {
      await withServer(
        (_request, response) => answer(response),
        async (base) => {
          await assert.rejects(new NodeHttpClient(1000).send(request(base)), transportError('RESPONSE_TOO_LARGE'));
        },
      );
    });
  }

  it('accepts a response of exactly the limit', async () => {
    await withServer(
      (_request, response) => response.end('y'.repeat(1000)),
      async (base) => {
        assert.equal((await new NodeHttpClient(1000).send(request(base))).body, 'y'.repeat(1000));
      },
    );
  });

  it('does not fire at once for a timeout longer than a timer can hold', async () => {
    await withServer(
      (_request, response) => setTimeout(() => response.end('late but fine'), 20),
      async (base) => {
        const response = await new NodeHttpClient().send(request(base, { timeoutMs: 30 * 24 * 3600 * 1000 }));
        assert.equal(response.body, 'late but fine');
      },
    );
  });
});
