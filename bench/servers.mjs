// The bench's own HTTP servers, each started as a child process on a free loopback port,
// printing `{"url":…}` when listening.
//
//   node bench/servers.mjs baseline   the bare node:http reference for intake: reads the body,
//                                     JSON.parses it, answers 202 with a small JSON (the same
//                                     shape as Hookflow's acknowledgement), stores nothing
//   node bench/servers.mjs receiver   the target of the end-to-end workflow's http step: reads
//                                     and parses the body, answers 200 at once, and counts
//                                     requests and distinct Idempotency-Keys (GET /stats)
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';

const mode = process.argv[2];
if (mode !== 'baseline' && mode !== 'receiver') {
  process.stderr.write('usage: node bench/servers.mjs baseline|receiver\n');
  process.exit(2);
}

let requests = 0;
const keys = new Set();

function readJson(request, callback) {
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      callback(undefined);
      return;
    }
    callback(body);
  });
}

function answer(response, status, body) {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

const server = createServer((request, response) => {
  if (mode === 'receiver' && request.method === 'GET' && request.url === '/stats') {
    answer(response, 200, { requests, distinctKeys: keys.size });
    return;
  }
  readJson(request, (body) => {
    if (body === undefined) {
      answer(response, 400, { error: { code: 'INVALID_BODY', message: 'the body does not parse' } });
      return;
    }
    if (mode === 'baseline') {
      answer(response, 202, { deliveryId: randomUUID(), runId: randomUUID() });
      return;
    }
    requests++;
    const key = request.headers['idempotency-key'];
    if (typeof key === 'string') keys.add(key);
    answer(response, 200, { ok: true });
  });
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}` })}\n`);
});

process.once('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
