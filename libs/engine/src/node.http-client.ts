/**
 * The HTTP port over node:http with keep-alive agents: bounded time, bounded response size
 * (after decompression), redirects returned rather than followed, and transport failures
 * turned into HttpTransportError so the engine can tell them from HTTP answers. Not fetch:
 * its WebStreams machinery was a quarter of a busy runner's time.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { HttpTransportError, type HttpClient, type HttpRequest, type HttpResponse } from './engine.types.js';
export const MAX_RESPONSE_BYTES = 5 * 1024 * 1024;
/** Timers fire at once above this (Node's TimeoutOverflowWarning), so longer timeouts are clamped. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export class NodeHttpClient implements HttpClient {
  private readonly http = new HttpAgent({ keepAlive: true, maxSockets: 256 });
  private readonly https = new HttpsAgent({ keepAlive: true, maxSockets: 256 });

  constructor(private readonly maxResponseBytes = MAX_RESPONSE_BYTES) {}

  send(request: HttpRequest): Promise<HttpResponse> {
    return new Promise<HttpResponse>((resolve, reject) => {
      const url = new URL(request.url);
      const secure = url.protocol === 'https:';
      let settled = false;
      const fail = (error: HttpTransportError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        outgoing.destroy();
        reject(error);
      };
      const timeoutMs = Math.min(Math.max(1, request.timeoutMs), MAX_TIMEOUT_MS);
      const timer = setTimeout(() => fail(new HttpTransportError('TIMEOUT', `no answer within ${request.timeoutMs} ms`)), timeoutMs);
      const headers: Record<string, string> = { 'accept-encoding': 'gzip, deflate, br', ...request.headers };
      if (request.body !== undefined) headers['content-length'] = String(Buffer.byteLength(request.body));
      const outgoing = (secure ? httpsRequest : httpRequest)(
        url,
        { method: request.method, headers, agent: secure ? this.https : this.http },
        (response) => {
          this.readBody(response).then(
            (body) => {
              if (settled) return;
              settled = true;
              clearTimeout(timer);
              resolve({ status: response.statusCode ?? 0, headers: flatten(response), body });
            },
            (error: HttpTransportError) => fail(error),
          );
        },
      );
      outgoing.on('error', (error: NodeJS.ErrnoException) => {
        fail(new HttpTransportError('NETWORK_ERROR', `network error: ${error.code ?? error.message}`));
      });
      outgoing.end(request.body);
    });
  }

  /** Reads at most maxResponseBytes (after decompression), then gives up and drops the connection. */
  private readBody(response: IncomingMessage): Promise<string> {
    const tooLarge = (): HttpTransportError =>
      new HttpTransportError('RESPONSE_TOO_LARGE', `response larger than ${this.maxResponseBytes} bytes`);
    const encoding = String(response.headers['content-encoding'] ?? 'identity').toLowerCase();
    const declared = Number(response.headers['content-length'] ?? Number.NaN);
    if (encoding === 'identity' && declared > this.maxResponseBytes) {
      response.destroy();
      return Promise.reject(tooLarge());
    }
    const decoder =
      encoding === 'gzip' || encoding === 'x-gzip'
        ? createGunzip()
        : encoding === 'deflate'
          ? createInflate()
          : encoding === 'br'
            ? createBrotliDecompress()
            : undefined;
    const stream = decoder ? response.pipe(decoder) : response;
    return new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let done = false;
      const finish = (outcome: () => void): void => {
        if (done) return;
        done = true;
        outcome();
      };
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > this.maxResponseBytes) {
          finish(() => reject(tooLarge()));
          response.destroy();
          decoder?.destroy();
          return;
        }
        chunks.push(chunk);
      });
      stream.on('end', () => finish(() => resolve(Buffer.concat(chunks).toString('utf8'))));
      const broken = (error?: NodeJS.ErrnoException): void =>
        finish(() =>
          reject(
            new HttpTransportError(
              'NETWORK_ERROR',
              `network error: ${error?.code ?? error?.message ?? 'the connection closed mid-answer'}`,
            ),
          ),
        );
      stream.on('error', broken);
      response.on('aborted', () => broken());
    });
  }
}

function flatten(response: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}
