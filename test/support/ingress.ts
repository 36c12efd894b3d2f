/**
 * Raw-HTTP helpers for the ingress e2e tests, for what fetch cannot do: stream a body of any
 * size generated on the fly (never held in memory) and see the answer the server gives before
 * it has read it, and drip a request's headers one byte at a time over a bare socket.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { Readable } from 'node:stream';

export interface StreamedAnswer {
  /** The answer's status, or undefined when the connection failed before one arrived. */
  status: number | undefined;
  headers: IncomingHttpHeaders;
  text: string;
  /** Body bytes handed to the socket before the exchange ended. */
  sent: number;
  /** The connection error seen after (or instead of) the answer, if any. */
  error: string | undefined;
}

export interface StreamOptions {
  /** How many body bytes to offer. */
  bytes: number;
  /** Declare Content-Length (otherwise the body goes chunked). */
  contentLength: boolean;
  headers?: Record<string, string>;
  /** How long to wait for the exchange to settle before giving up (a test safeguard, not an assertion). */
  timeoutMs?: number;
}

const CHUNK = Buffer.alloc(64 * 1024, 'a');

/** A body of `bytes` bytes of `a`, made one 64 KB chunk at a time as the socket asks for it. */
function lazyBody(bytes: number, onChunk: (size: number) => void): Readable {
  let left = bytes;
  return new Readable({
    read() {
      if (left <= 0) {
        this.push(null);
        return;
      }
      const size = Math.min(left, CHUNK.length);
      left -= size;
      onChunk(size);
      this.push(size === CHUNK.length ? CHUNK : CHUNK.subarray(0, size));
    },
  });
}

/**
 * POSTs a lazily generated body to `url` and resolves once the exchange is over: the answer
 * read (or the connection failed) and the upload stopped. A server that answers early and
 * closes makes the upload fail; that is reported in `error`, not thrown.
 */
export function streamBody(url: string, options: StreamOptions): Promise<StreamedAnswer> {
  return new Promise((resolve) => {
    let sent = 0;
    const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
    if (options.contentLength) headers['content-length'] = String(options.bytes);
    else headers['transfer-encoding'] = 'chunked';
    const answer: StreamedAnswer = { status: undefined, headers: {}, text: '', sent: 0, error: undefined };
    let settled = false;
    const finish = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      body.unpipe();
      body.destroy();
      request.destroy();
      answer.sent = sent;
      resolve(answer);
    };
    const body = lazyBody(options.bytes, (size) => {
      sent += size;
    });
    const request = httpRequest(url, { method: 'POST', headers, agent: false });
    const timer = setTimeout(() => {
      answer.error ??= `no settled answer within ${options.timeoutMs ?? 30_000} ms`;
      finish();
    }, options.timeoutMs ?? 30_000);
    request.on('response', (response) => {
      answer.status = response.statusCode;
      answer.headers = response.headers;
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        answer.text += chunk;
      });
      response.on('end', finish);
      response.on('error', (error) => {
        answer.error ??= error.message;
        finish();
      });
    });
    request.on('error', (error) => {
      answer.error ??= error.message;
      // The answer may still be arriving on a socket whose upload half just failed.
      if (answer.status === undefined) finish();
    });
    request.on('close', () => {
      if (answer.status === undefined) finish();
    });
    body.pipe(request);
  });
}

export interface DripResult {
  /** Everything the server wrote before the connection ended. */
  received: string;
  /** Whether the server ended the connection (rather than our deadline). */
  closedByServer: boolean;
  /** Header bytes sent after the request line. */
  dripped: number;
}

/**
 * Opens a bare connection, sends `head` (a request line and maybe some headers), then one more
 * header byte every `intervalMs`, never finishing the headers, until the server answers or
 * closes the connection, or `deadlineMs` passes.
 */
export function dripHeaders(host: string, port: number, head: string, intervalMs: number, deadlineMs: number): Promise<DripResult> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const filler = 'x-slow: ' + 'a'.repeat(10_000);
    let received = '';
    let dripped = 0;
    let done = false;
    let ticker: NodeJS.Timeout | undefined;
    const end = (closedByServer: boolean): void => {
      if (done) return;
      done = true;
      clearInterval(ticker);
      clearTimeout(deadline);
      socket.destroy();
      resolve({ received, closedByServer, dripped });
    };
    const deadline = setTimeout(() => end(false), deadlineMs);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
    });
    socket.on('error', () => end(true));
    socket.on('close', () => end(true));
    socket.on('connect', () => {
      socket.write(head);
      ticker = setInterval(() => {
        if (socket.writable && dripped < filler.length) socket.write(filler[dripped++]!);
      }, intervalMs);
    });
  });
}
