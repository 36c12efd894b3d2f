/**
 * JSONata compiled once at load and evaluated with bounds: an expression that recurses
 * without end or runs too long fails with a clear error instead of holding a worker.
 */
import jsonata from 'jsonata';
import type { CompiledExpression } from './workflow.types.js';

export interface ExpressionLimits {
  timeoutMs: number;
  maxDepth: number;
}

export const DEFAULT_EXPRESSION_LIMITS: ExpressionLimits = { timeoutMs: 500, maxDepth: 500 };

export class ExpressionError extends Error {
  constructor(
    message: string,
    /** Character offset in the expression, when the parser knows it (JSONata's: just after the bad token). */
    readonly position?: number,
    /** 0-based index where the offending token starts, for pointing at it in the file. */
    readonly start?: number,
  ) {
    super(message);
    this.name = 'ExpressionError';
  }
}

/** Per-evaluation counters, found by the callbacks through the evaluation's environment. */
interface Guard {
  startedAt: number;
  depth: number;
  limits: ExpressionLimits;
}

const GUARD = '__hookflow_guard';

/**
 * Parsed expressions by source: many workflows (and every reload) repeat the same expressions,
 * and a parsed expression holds no state of its own between evaluations.
 */
const parsed = new Map<string, jsonata.Expression>();

/** Compiles a JSONata expression; throws ExpressionError with the parser's position. */
export function compileExpression(source: string, limits: ExpressionLimits = DEFAULT_EXPRESSION_LIMITS): CompiledExpression {
  let compiled = parsed.get(source);
  if (!compiled) {
    try {
      compiled = jsonata(source);
    } catch (error) {
      const failure = error as Partial<jsonata.JsonataError>;
      throw new ExpressionError(`invalid JSONata: ${failure.message ?? String(error)}`, failure.position, tokenStart(source, failure));
    }
    // jsonata looks its evaluation hooks up by these symbols; `assign` binds them on the
    // expression's own environment, while the counters live in each call's bindings.
    compiled.assign(Symbol.for('jsonata.__evaluate_entry') as unknown as string, onEntry);
    compiled.assign(Symbol.for('jsonata.__evaluate_exit') as unknown as string, onExit);
    parsed.set(source, compiled);
  }
  const expression = compiled;
  return {
    source,
    evaluate: (input) => evaluateBounded(expression, input, limits),
  };
}

/**
 * JSONata reports the offset just after the token it choked on; step back over the token
 * when it is written as-is, else to the last character before the offset.
 */
function tokenStart(source: string, failure: Partial<jsonata.JsonataError>): number | undefined {
  const position = failure.position;
  if (typeof position !== 'number' || source.length === 0) return undefined;
  const end = Math.min(Math.max(position, 1), source.length);
  const token = typeof failure.token === 'string' && failure.token !== '(end)' ? failure.token : undefined;
  if (token && token.length > 0 && source.slice(end - token.length, end) === token) return end - token.length;
  // At the end of the expression, point at its last character rather than trailing blanks.
  let last = end - 1;
  while (last > 0 && /\s/.test(source[last]!)) last -= 1;
  return last;
}

function onEntry(_node: unknown, _input: unknown, environment: jsonata.Environment): void {
  const guard = environment.lookup(GUARD) as Guard | undefined;
  if (!guard) return;
  guard.depth += 1;
  if (guard.depth > guard.limits.maxDepth) {
    throw new ExpressionError(`expression exceeded the maximum depth of ${guard.limits.maxDepth} (endless recursion?)`);
  }
  if (Date.now() - guard.startedAt > guard.limits.timeoutMs) {
    throw new ExpressionError(`expression ran longer than ${guard.limits.timeoutMs} ms`);
  }
}

function onExit(_node: unknown, _input: unknown, environment: jsonata.Environment): void {
  const guard = environment.lookup(GUARD) as Guard | undefined;
  if (guard) guard.depth -= 1;
}

async function evaluateBounded(compiled: jsonata.Expression, input: unknown, limits: ExpressionLimits): Promise<unknown> {
  const guard: Guard = { startedAt: Date.now(), depth: 0, limits };
  try {
    const result: unknown = await compiled.evaluate(input, { [GUARD]: guard });
    return result;
  } catch (error) {
    if (error instanceof ExpressionError) throw error;
    if (error instanceof RangeError) throw new ExpressionError('expression recursed too deeply');
    const failure = error as Partial<jsonata.JsonataError>;
    throw new ExpressionError(failure.message ?? String(error), failure.position);
  }
}
