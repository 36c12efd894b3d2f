/**
 * Raw-HTTP helpers for the ingress e2e tests, for what fetch cannot do: stream a body of any
 * size generated on the fly (never held in memory) and see the answer the server gives before
 * it has read it, and drip a request's headers one byte at a time over a bare socket.
 */
import { connect } from 'node:net';

export interface StreamedAnswer {
  /** The answer's status, or undefined when none arrived before the connection ended. */
  status: number | undefined;
  /** Lower-case names. */
  headers: Record<string, string>;
  text: string;
  /** Body bytes the socket accepted before the upload finished or the connection broke. */
  sent: number;
  /** The connection error that ended the upload, if any. */
  error: string | undefined;
}

export interface StreamOptions {
  /** How many body bytes to offer. */
  bytes: number;
  /** Declare Content-Length (otherwise the body goes chunked). */
  contentLength: boolean;
  headers?: Record<string, string>;
  /** How long to wait for the exchange to end before giving up (a test safeguard, not an assertion). */
  timeoutMs?: number;
}

const CHUNK = Buffer.alloc(64 * 1024, 'a');

/**
 * POSTs a body of `bytes` bytes, made one 64 KB chunk at a time as the socket takes them (never
 * held in memory), over a bare connection to `url`, and resolves once the exchange is over.
 * This sender is stubborn: it reads the answer as it comes but goes on uploading until the body
 * is sent or the connection breaks, so `sent` shows how much the server let in. Connection
 * errors are reported in `error`, not thrown.
 */
export function streamBody(url: string, options: StreamOptions): Promise<StreamedAnswer> {
  const target = new URL(url);
  const head = [
    `POST ${target.pathname}${target.search} HTTP/1.1`,
    `Host: ${target.host}`,
    'Content-Type: application/json',
    options.contentLength ? `Content-Length: ${options.bytes}` : 'Transfer-Encoding: chunked',
    ...Object.entries(options.headers ?? {}).map(([name, value]) => `${name}: ${value}`),
    '',
    '',
  ].join('\r\n');
  return new Promise((resolve) => {
    // Half-open: the server's FIN does not end the upload; only a broken connection does.
    const socket = connect({ host: target.hostname, port: Number(target.port), allowHalfOpen: true });
    const received: Buffer[] = [];
    let sent = 0;
    let error: string | undefined;
    let settled = false;
    const finish = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ ...parseAnswer(Buffer.concat(received)), sent, error });
    };
    const timer = setTimeout(() => {
      error ??= `the exchange did not end within ${options.timeoutMs ?? 30_000} ms`;
      finish();
    }, options.timeoutMs ?? 30_000);
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('error', (failure) => {
      error ??= failure.message;
      finish();
    });
    socket.on('close', finish);

    const writable = (): Promise<boolean> =>
      new Promise((ready) => {
        const onDrain = (): void => settle(true);
        const onGone = (): void => settle(false);
        const settle = (value: boolean): void => {
          socket.off('drain', onDrain).off('close', onGone).off('error', onGone);
          ready(value);
        };
        socket.once('drain', onDrain).once('close', onGone).once('error', onGone);
      });
    const upload = async (): Promise<void> => {
      if (!socket.write(head) && !(await writable())) return;
      while (sent < options.bytes && !socket.destroyed) {
        const size = Math.min(CHUNK.length, options.bytes - sent);
        const data = size === CHUNK.length ? CHUNK : CHUNK.subarray(0, size);
        const framed = options.contentLength ? [data] : [Buffer.from(`${size.toString(16)}\r\n`), data, Buffer.from('\r\n')];
        let ok = true;
        for (const piece of framed) ok = socket.write(piece) && ok;
        sent += size;
        if (!ok && !(await writable())) return;
      }
      if (!options.contentLength && !socket.destroyed) socket.write('0\r\n\r\n');
      // Uploaded in full: the answer (and the server closing, or not) is all that is left.
      if (!socket.destroyed) socket.end();
    };
    socket.on('connect', () => void upload());
  });
}

function parseAnswer(raw: Buffer): Pick<StreamedAnswer, 'status' | 'headers' | 'text'> {
  const text = raw.toString('utf8');
  const split = text.indexOf('\r\n\r\n');
  const status = /^HTTP\/1\.1 (\d{3}) /.exec(text);
  if (split === -1 || !status) return { status: undefined, headers: {}, text };
  const headers: Record<string, string> = {};
  for (const line of text.slice(0, split).split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const body = text.slice(split + 4);
  const length = Number(headers['content-length']);
  return { status: Number(status[1]), headers, text: Number.isFinite(length) ? body.slice(0, length) : body };
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
