// timingSafeEqual throws on unequal lengths and leaks length by returning early; hashing both
// sides first gives equal-length inputs, so any two values compare in the same time, never throwing.
import { createHash, timingSafeEqual } from 'node:crypto';

export function constantTimeEqual(a: string | Uint8Array, b: string | Uint8Array): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

function sha256(value: string | Uint8Array): Buffer {
  return createHash('sha256').update(value).digest();
}
