/**
 * The HTTP port over Node's fetch: bounded time, bounded response size, redirects returned
 * rather than followed, and transport failures turned into HttpTransportError so the
 * engine can tell them from HTTP answers.
 */
import { HttpTransportError, type HttpClient, type HttpRequest, type HttpResponse } from './engine.types.js';

export const MAX_RESPONSE_BYTES = 5 * 1024 * 1024;
/** Timers fire at once above this (Node's TimeoutOverflowWarning), so longer timeouts are clamped. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export class FetchHttpClient implements HttpClient {
  constructor(private readonly maxResponseBytes = MAX_RESPONSE_BYTES) {}

  async send(request: HttpRequest): Promise<HttpResponse> {
    const signal = AbortSignal.timeout(Math.min(Math.max(1, request.timeoutMs), MAX_TIMEOUT_MS));
    try {
      const response = await fetch(request.url, {
        method: request.method,
        headers: request.headers,
        redirect: 'manual',
        signal,
        ...(request.body !== undefined ? { body: request.body } : {}),
      });
      const headers: Record<string, string> = {};
      response.headers.forEach((value, name) => {
        headers[name] = value;
      });
      return { status: response.status, headers, body: await this.readBody(response) };
    } catch (error) {
      if (error instanceof HttpTransportError) throw error;
      if (signal.aborted) throw new HttpTransportError('TIMEOUT', `no answer within ${request.timeoutMs} ms`);
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new HttpTransportError('NETWORK_ERROR', `network error: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
    }
  }

  /** Reads at most maxResponseBytes (after decompression), then gives up and drops the connection. */
  private async readBody(response: Response): Promise<string> {
    if (!response.body) return '';
    const tooLarge = (): HttpTransportError =>
      new HttpTransportError('RESPONSE_TOO_LARGE', `response larger than ${this.maxResponseBytes} bytes`);
    const declared = Number(response.headers.get('content-length') ?? Number.NaN);
    const encoded = (response.headers.get('content-encoding') ?? 'identity') !== 'identity';
    if (!encoded && declared > this.maxResponseBytes) {
      await response.body.cancel().catch(() => undefined);
      throw tooLarge();
    }
    const reader = response.body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > this.maxResponseBytes) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge();
      }
      chunks.push(value);
    }
    return Buffer.concat(chunks).toString('utf8');
  }
}
