/**
 * Handlebars as Hookflow uses it: strict (a missing name is an error, never an empty string),
 * no HTML escaping (the output is URLs, headers and JSON, not HTML), prototype access off,
 * and only the helpers json, urlencode and base64 beside Handlebars' own.
 */
import Handlebars from 'handlebars';
import type { CompiledTemplate } from './workflow.types.js';

const HELPERS: Record<string, (value: unknown) => string> = {
  json: (value) => JSON.stringify(value),
  urlencode: (value) => encodeURIComponent(String(value)),
  base64: (value) => Buffer.from(String(value)).toString('base64'),
};
const HOOKFLOW_HELPERS = Object.keys(HELPERS);

const handlebars = Handlebars.create();
for (const [name, apply] of Object.entries(HELPERS)) {
  // Strict mode doesn't reach helper arguments, so a missing one is checked here; null is a value.
  handlebars.registerHelper(name, (...args: unknown[]) => {
    if (args.length !== 2) throw new TemplateError(`{{${name}}} takes exactly one value`);
    if (args[0] === undefined) throw new MissingValue(name);
    return apply(args[0]);
  });
}

const COMPILE_OPTIONS: CompileOptions = {
  strict: true,
  noEscape: true,
  knownHelpers: Object.fromEntries(HOOKFLOW_HELPERS.map((name) => [name, true])),
  knownHelpersOnly: true,
};
const RUNTIME_OPTIONS: RuntimeOptions = { allowProtoPropertiesByDefault: false, allowProtoMethodsByDefault: false };

export class TemplateError extends Error {
  constructor(
    message: string,
    /** The path that was not found, e.g. `steps.mesage`, when that is the failure. */
    readonly missingName?: string,
    /** 1-based line in the template, when the compiler knows it. */
    readonly line?: number,
    /** 0-based column in that line, when the compiler knows it. */
    readonly column?: number,
  ) {
    super(message);
    this.name = 'TemplateError';
  }
}

/** A helper's argument named something the context doesn't have. */
class MissingValue extends Error {
  constructor(readonly helper: string) {
    super(`missing value for {{${helper}}}`);
  }
}

/** Parses and compiles a template at load; throws TemplateError for syntax errors and unknown helpers. */
export function compileTemplate(source: string): CompiledTemplate {
  let ast: hbs.AST.Program;
  try {
    ast = handlebars.parse(source);
    rejectUnsupported(ast);
    // precompile runs the whole compiler, so unknown helpers fail here rather than at first use.
    handlebars.precompile(ast, COMPILE_OPTIONS);
  } catch (error) {
    if (error instanceof TemplateError) throw error;
    throw describeCompileError(error);
  }
  const render = handlebars.compile(ast, COMPILE_OPTIONS);
  const paths = collectPaths(ast);
  return {
    source,
    paths,
    render(context: unknown): string {
      try {
        return render(context, RUNTIME_OPTIONS);
      } catch (error) {
        if (error instanceof TemplateError) throw error;
        const message = error instanceof Error ? error.message : String(error);
        const unresolved = (): string | undefined => paths.find((path) => !resolves(context, path));
        if (/ not defined in /.test(message)) {
          // Handlebars names only the last segment it could not find; report the whole path.
          const name = /"([^"]+)" not defined/.exec(message)?.[1] ?? '';
          const missing = paths.find((path) => path.split(/[./]/).includes(name) && !resolves(context, path)) ?? name;
          throw new TemplateError(`unknown name ${missing}`, missing);
        }
        // Strict mode checks only a path's last segment: a missing middle one fails as a TypeError.
        if (error instanceof MissingValue || (error instanceof TypeError && /of (undefined|null)/.test(message))) {
          const missing = unresolved();
          if (missing !== undefined) throw new TemplateError(`unknown name ${missing}`, missing);
          throw new TemplateError(error instanceof MissingValue ? `unknown name in {{${error.helper}}}` : `template failed: ${message}`);
        }
        throw new TemplateError(`template failed: ${message}`);
      }
    },
  };
}

/**
 * Handlebars' own errors, made one line: a parse error keeps its line and what it found,
 * a compiler error (unknown helper, mismatched block) its line and column.
 */
function describeCompileError(error: unknown): TemplateError {
  if (!(error instanceof Error)) return new TemplateError(`invalid template: ${String(error)}`);
  const lines = error.message.split('\n');
  const first = lines[0]!;
  const parse = /^Parse error on line (\d+):/.exec(first);
  if (parse) {
    const got = /got '([^']+)'/.exec(lines[lines.length - 1] ?? '')?.[1];
    const found = got === 'EOF' ? 'end of template' : got === 'INVALID' ? 'character' : got ? `token ${got}` : undefined;
    return new TemplateError(`invalid template: ${first}${found ? ` unexpected ${found}` : ''}`, undefined, Number(parse[1]));
  }
  const located = error as Error & { lineNumber?: unknown; column?: unknown };
  const line = typeof located.lineNumber === 'number' ? located.lineNumber : Number(/line (\d+)/.exec(first)?.[1]) || undefined;
  const column = typeof located.column === 'number' ? located.column : undefined;
  const helper = /unknown helper (\S+)/.exec(first)?.[1];
  const message = helper
    ? `unknown helper "${helper}" (Hookflow's helpers: ${HOOKFLOW_HELPERS.join(', ')})`
    : first.replace(/ - \d+:\d+$/, '');
  return new TemplateError(`invalid template: ${message}`, undefined, line, column);
}

/** Partials and decorators would need a registry Hookflow doesn't have; they would only fail at render. */
function rejectUnsupported(ast: hbs.AST.Program): void {
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    const record = node as { type?: unknown; loc?: hbs.AST.SourceLocation };
    if (typeof record.type === 'string' && /^(Partial|Decorator)/.test(record.type)) {
      const what = record.type.startsWith('Partial') ? 'partials' : 'decorators';
      throw new TemplateError(`invalid template: ${what} are not supported`, undefined, record.loc?.start.line, record.loc?.start.column);
    }
    for (const [key, value] of Object.entries(record)) if (key !== 'loc') visit(value);
  };
  visit(ast);
}

/** The dotted paths a template reads, in order of appearance, for clear "unknown name" errors. */
function collectPaths(ast: hbs.AST.Program): string[] {
  const paths: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    if (record.type === 'MustacheStatement' || record.type === 'BlockStatement' || record.type === 'SubExpression') {
      // A mustache with parameters calls a helper: its `path` is the helper's name, not data.
      const params = record.params as unknown[];
      if (params.length > 0 || record.type !== 'MustacheStatement') {
        visit(params);
        visit(record.hash);
        visit(record.program);
        visit(record.inverse);
        return;
      }
    }
    if (record.type === 'PathExpression' && typeof record.original === 'string' && (record.depth as number) === 0) {
      const original = record.original;
      if (!(record.data as boolean) && original !== 'this' && !paths.includes(original)) paths.push(original);
      return;
    }
    for (const [key, value] of Object.entries(record)) if (key !== 'loc') visit(value);
  };
  visit(ast);
  return paths;
}

function resolves(context: unknown, path: string): boolean {
  let current: unknown = context;
  for (const part of path.split(/[./]/)) {
    if (current === null || typeof current !== 'object' || !Object.prototype.hasOwnProperty.call(current, part)) return false;
    current = (current as Record<string, unknown>)[part];
  }
  return true;
}
