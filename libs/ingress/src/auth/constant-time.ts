// timingSafeEqual throws on unequal lengths and leaks length by returning early; hashing both
// sides first gives equal-length inputs, so any two values compare in the same time, never throwing.
import { hash, timingSafeEqual } from 'node:crypto';

export function constantTimeEqual(a: string | Uint8Array, b: string | Uint8Array): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

/**
 * For digests, whose length the algorithm makes public: a wrong length says nothing secret, so
 * equal lengths are compared in constant time directly, without hashing both sides first.
 */
export function digestsEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function sha256(value: string | Uint8Array): Buffer {
  return hash('sha256', value, 'buffer');
}
