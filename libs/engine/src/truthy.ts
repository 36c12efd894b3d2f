/**
 * JSONata's notion of truth ($boolean), used for `if` and `filter`. Functions are false,
 * including JSONata's own lambdas, which reach us as plain objects.
 */
export function isTruthy(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === 0 || value === '') return false;
  if (typeof value === 'number') return !Number.isNaN(value);
  if (Array.isArray(value)) return value.some(isTruthy);
  if (typeof value === 'function' || isJsonataFunction(value)) return false;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

export function isJsonataFunction(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  const marked = value as { _jsonata_lambda?: unknown; _jsonata_function?: unknown };
  return marked._jsonata_lambda === true || marked._jsonata_function === true;
}
