/**
 * The API is never open: with no HOOKFLOW_API_TOKEN, a strong token is generated at first
 * start, kept in the data folder readable by its owner only, and printed once.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function resolveApiTokens(configured: readonly string[], dataDir: string, print: (line: string) => void): string[] {
  if (configured.length > 0) return [...configured];
  const file = join(dataDir, 'api-token');
  if (existsSync(file)) {
    const stored = readFileSync(file, 'utf8').trim();
    if (stored !== '') return [stored];
  }
  const token = randomBytes(32).toString('base64url');
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  print(`Generated an API token (stored in ${file}, shown only now): ${token}`);
  return [token];
}
