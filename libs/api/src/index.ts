export { ApiModule } from './api.module.js';
export { ApiErrorFilter } from './api-error.filter.js';
export { API_TOKENS } from './api-token.guard.js';
export { ApiError, API_STATUS, type ApiErrorCode } from './api.errors.js';
export { setupOpenApi } from './openapi.js';
