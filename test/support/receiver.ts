/**
 * A local HTTP receiver standing in for the services a workflow calls: it records every
 * request it gets and answers from a scripted sequence (per path, else shared), falling
 * back to 200 `{"ok":true}`. A request is recorded when its body has arrived, before the
 * answer, so a server killed while waiting for the answer still shows as having sent it.
 */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ScriptedResponse {
  status?: number;
  headers?: Record<string, string>;
  /** A string is sent as-is; anything else as JSON. */
  body?: unknown;
  /** Wait this long before answering. */
  delayMs?: number;
}

export interface RecordedRequest {
  method: string;
  /** Path and query, as received. */
  url: string;
  /** Path only. */
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body parsed as JSON, when it is JSON. */
  json: unknown;
  idempotencyKey: string | undefined;
  receivedAt: number;
  /** The status the receiver answered (or was about to, when the client went away). */
  answered: number;
}

export interface ReceiverOptions {
  /** Answers for requests to any path, in order, once the path's own script is used up. */
  responses?: ScriptedResponse[];
  /** The answer once every script is used up; default 200 `{"ok":true}`. */
  fallback?: ScriptedResponse;
}

export interface Receiver {
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  readonly url: string;
  readonly requests: readonly RecordedRequest[];
  /** Appends answers for requests to `path` (matched without the query string). */
  script(path: string, ...responses: ScriptedResponse[]): void;
  /** Appends answers for requests to any path without a script of its own. */
  scriptAll(...responses: ScriptedResponse[]): void;
  /** Replaces the answer used once every script is used up. */
  setFallback(response: ScriptedResponse): void;
  requestsTo(path: string): RecordedRequest[];
  close(): Promise<void>;
}

const DEFAULT_ANSWER: ScriptedResponse = { status: 200, body: { ok: true } };

export async function startReceiver(options: ReceiverOptions = {}): Promise<Receiver> {
  const requests: RecordedRequest[] = [];
  const perPath = new Map<string, ScriptedResponse[]>();
  const shared: ScriptedResponse[] = [...(options.responses ?? [])];
  let fallback: ScriptedResponse = options.fallback ?? DEFAULT_ANSWER;
  const pending = new Set<NodeJS.Timeout>();

  const nextAnswer = (path: string): ScriptedResponse => perPath.get(path)?.shift() ?? shared.shift() ?? fallback;

  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('error', () => undefined);
    response.on('error', () => undefined);
    request.on('end', () => {
      const url = request.url ?? '/';
      const path = url.split('?')[0] ?? '/';
      const body = Buffer.concat(chunks).toString('utf8');
      const answer = nextAnswer(path);
      const header = request.headers['idempotency-key'];
      requests.push({
        method: request.method ?? 'GET',
        url,
        path,
        headers: request.headers,
        body,
        json: parseJson(body),
        idempotencyKey: Array.isArray(header) ? header[0] : header,
        receivedAt: Date.now(),
        answered: answer.status ?? 200,
      });
      if (answer.delayMs && answer.delayMs > 0) {
        const timer = setTimeout(() => {
          pending.delete(timer);
          send(response, answer);
        }, answer.delayMs);
        pending.add(timer);
      } else {
        send(response, answer);
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script(path, ...responses) {
      perPath.set(path, [...(perPath.get(path) ?? []), ...responses]);
    },
    scriptAll(...responses) {
      shared.push(...responses);
    },
    setFallback(response) {
      fallback = response;
    },
    requestsTo(path) {
      return requests.filter((request) => request.path === path);
    },
    async close() {
      for (const timer of pending) clearTimeout(timer);
      pending.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function send(response: ServerResponse, answer: ScriptedResponse): void {
  if (response.destroyed || response.writableEnded) return;
  const isText = typeof answer.body === 'string';
  const payload = answer.body === undefined ? '' : isText ? (answer.body as string) : JSON.stringify(answer.body);
  const headers: Record<string, string> = {
    ...(answer.body !== undefined ? { 'content-type': isText ? 'text/plain; charset=utf-8' : 'application/json' } : {}),
    ...(answer.headers ?? {}),
  };
  response.writeHead(answer.status ?? 200, headers);
  response.end(payload);
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
