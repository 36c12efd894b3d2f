/**
 * The engine's contract: a step is executed against a run context through ports, and its
 * outcome is a value. The engine knows nothing of Nest, storage or queues.
 */

/** What every step expression and template sees (SPEC §2, "Expression context"). */
export interface RunContext {
  trigger: {
    body: unknown;
    headers: Record<string, string>;
    query: Record<string, unknown>;
    method: string;
    path: string;
    ip: string;
    receivedAt: string;
    deliveryId: string | null;
    /** Set for cron runs: when the tick was due. */
    scheduledAt?: string;
  };
  steps: Record<string, unknown>;
  run: { id: string; workflowId: string; attempt: number };
  secrets: Record<string, string>;
}

export type StepErrorCode =
  | 'CONDITION_FAILED'
  | 'EXPRESSION_FAILED'
  | 'TEMPLATE_FAILED'
  /** The rendered request cannot be sent: not an http(s) URL, a header value with a line break, a GET with a body. */
  | 'INVALID_REQUEST'
  | 'HTTP_STATUS'
  | 'NETWORK_ERROR'
  | 'TIMEOUT'
  | 'RESPONSE_TOO_LARGE';

export interface StepError {
  code: StepErrorCode;
  message: string;
}

export type StepOutcome =
  | { status: 'succeeded'; output: unknown; httpStatus?: number }
  | {
      status: 'failed';
      error: StepError;
      retryable: boolean;
      /** From the receiver's Retry-After, when it sent one. */
      retryAfterMs?: number;
      httpStatus?: number;
      /** The response of a failed HTTP call, kept for inspection. */
      output?: unknown;
    }
  | { status: 'skipped'; reason: string };

export interface HttpRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

export interface HttpResponse {
  status: number;
  /** Lower-case names, as fetch gives them. */
  headers: Record<string, string>;
  body: string;
}

/** Thrown by an HttpClient when no HTTP answer arrived. */
export class HttpTransportError extends Error {
  constructor(
    readonly code: 'NETWORK_ERROR' | 'TIMEOUT' | 'RESPONSE_TOO_LARGE',
    message: string,
  ) {
    super(message);
    this.name = 'HttpTransportError';
  }
}

export interface HttpClient {
  send(request: HttpRequest): Promise<HttpResponse>;
}

export interface StepPorts {
  http: HttpClient;
  /** Current time in ms, for Retry-After dates. */
  now(): number;
}
