/**
 * The path a request line shows: never the query string (it may carry a secret), and for a
 * hook with token auth (`/hooks/<path>/<token>`) never the token — the last segment becomes
 * `***`. A hook path no workflow serves has its last segment masked too when it has more
 * than one, since it may be a token sent to a mistyped or removed path.
 */
import { MASK } from '#libs/engine';

const HOOKS = '/hooks/';

/** What is needed from the workflow registry to tell a token segment from a path segment. */
export interface HookPaths {
  findByPath(path: string): { pathToken?: string } | undefined;
}

export function loggedPath(url: string, hooks: HookPaths | undefined): string {
  const queryAt = url.indexOf('?');
  const path = queryAt === -1 ? url : url.slice(0, queryAt);
  if (!path.startsWith(HOOKS)) return path;
  const hookPath = path.slice(HOOKS.length);
  const slash = hookPath.lastIndexOf('/');
  if (slash <= 0) return path;
  const match = hooks?.findByPath(hookPath);
  if (match && match.pathToken === undefined) return path;
  return `${HOOKS}${hookPath.slice(0, slash)}/${MASK}`;
}
