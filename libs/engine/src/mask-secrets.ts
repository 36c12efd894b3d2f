/**
 * Replaces secret values wherever they appear in something about to be stored or shown:
 * in strings, in object keys, and in the URL-encoded and JSON-escaped forms a template or
 * a JSON body gives them. Values shorter than 4 characters are left alone: masking them
 * would garble everything and hides nothing worth hiding. Only plain objects and arrays are
 * walked; anything else (a Date, a Buffer) is returned as it is.
 */
export const MASK = '***';

export function maskSecrets<T>(value: T, secrets: readonly string[]): T {
  const forms = secretForms(secrets);
  // Most values hold no secret: looking first spares copying them.
  if (forms.length === 0 || !holdsSecret(value, forms, new WeakSet())) return value;
  return mask(value, forms, new WeakMap()) as T;
}

/**
 * The forms to look for of each secret of at least 4 characters: as it is, URL-encoded, and
 * JSON-escaped (a value with quotes, backslashes or control characters), longest first, so that
 * a secret that contains another is masked whole.
 */
export function secretForms(secrets: Iterable<string>): string[] {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (secret.length < 4) continue;
    forms.add(secret);
    forms.add(encodeURIComponentSafe(secret));
    forms.add(JSON.stringify(secret).slice(1, -1));
  }
  return [...forms].sort((a, b) => b.length - a.length);
}

function mask(value: unknown, secrets: readonly string[], seen: WeakMap<object, unknown>): unknown {
  if (typeof value === 'string') return maskString(value, secrets);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return seen.get(value);
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    seen.set(value, copy);
    for (const item of value) copy.push(mask(item, secrets, seen));
    return copy;
  }
  if (!isPlainObject(value)) return value;
  const copy: Record<string, unknown> = {};
  seen.set(value, copy);
  for (const [key, item] of Object.entries(value)) {
    // defineProperty, not assignment: a JSON body may carry an own "__proto__" key.
    Object.defineProperty(copy, maskString(key, secrets), {
      value: mask(item, secrets, seen),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return copy;
}

/** Whether mask() would change anything: a secret in a string or a key of what it walks. */
function holdsSecret(value: unknown, secrets: readonly string[], seen: WeakSet<object>): boolean {
  if (typeof value === 'string') return includesAny(value, secrets);
  if (value === null || typeof value !== 'object' || seen.has(value)) return false;
  seen.add(value);
  if (Array.isArray(value)) return value.some((item) => holdsSecret(item, secrets, seen));
  if (!isPlainObject(value)) return false;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (includesAny(key, secrets) || holdsSecret((value as Record<string, unknown>)[key], secrets, seen)) return true;
  }
  return false;
}

function includesAny(value: string, secrets: readonly string[]): boolean {
  for (const secret of secrets) if (value.includes(secret)) return true;
  return false;
}

function maskString(value: string, secrets: readonly string[]): string {
  let masked = value;
  for (const secret of secrets) if (masked.includes(secret)) masked = masked.split(secret).join(MASK);
  return masked;
}

function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

/** encodeURIComponent throws on lone surrogates; such a secret has no URL-encoded form to hide. */
function encodeURIComponentSafe(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return value;
  }
}
