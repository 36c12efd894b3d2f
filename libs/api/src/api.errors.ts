/**
 * The API's error type: a code from a closed list, mapped to HTTP in one typed table, so a
 * new code without a status fails to compile.
 */
export type ApiErrorCode =
  | 'UNAUTHORIZED'
  | 'NOT_FOUND'
  | 'RUN_NOT_FOUND'
  | 'WORKFLOW_NOT_FOUND'
  | 'DELIVERY_NOT_FOUND'
  | 'INVALID_QUERY'
  | 'INVALID_CURSOR'
  | 'INVALID_STATE'
  | 'TRIGGER_UNREADABLE'
  | 'STORAGE_UNAVAILABLE'
  | 'INTERNAL_ERROR';

export const API_STATUS: Record<ApiErrorCode, number> = {
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  RUN_NOT_FOUND: 404,
  WORKFLOW_NOT_FOUND: 404,
  DELIVERY_NOT_FOUND: 404,
  INVALID_QUERY: 400,
  INVALID_CURSOR: 400,
  INVALID_STATE: 409,
  TRIGGER_UNREADABLE: 409,
  STORAGE_UNAVAILABLE: 503,
  INTERNAL_ERROR: 500,
};

export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get status(): number {
    return API_STATUS[this.code];
  }
}
