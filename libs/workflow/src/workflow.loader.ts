/**
 * Turns one workflow file into a runnable Workflow, or into errors located at
 * `file:line:col`. Everything a delivery needs is compiled here, once: JSON Schema
 * validators, JSONata expressions, Handlebars templates and resolved secrets.
 */
import { createHash } from 'node:crypto';
import { basename, extname } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import ajvFormats from 'ajv-formats';
import { CronTime } from 'cron';
import { isMap, isScalar, LineCounter, parseDocument, Scalar, visit, type Document, type Node, type YAMLError } from 'yaml';
import { parseDuration, parseSize } from './duration.js';
import { compileTemplate, TemplateError } from './handlebars.template.js';
import { compileAllowlist } from './ip-allowlist.js';
import { compileExpression, ExpressionError } from './jsonata.expression.js';
import workflowSchema from './workflow.schema.json' with { type: 'json' };
import type {
  BodyViolation,
  CompiledExpression,
  CompiledTemplate,
  CronTrigger,
  HttpMethod,
  RetryPolicy,
  Step,
  WebhookAuth,
  WebhookTrigger,
  Workflow,
  WorkflowError,
} from './workflow.types.js';

export const DEFAULT_RETRY: RetryPolicy = { attempts: 3, backoff: 'exponential', delayMs: 1000, maxDelayMs: 600_000 };
export const DEFAULT_HTTP_TIMEOUT_MS = 30_000;
export const DEFAULT_TOLERANCE_MS = 300_000;

export interface LoadedFile {
  file: string;
  /** The workflow's id when the file got far enough to tell, else the file name. */
  id: string;
  workflow?: Workflow;
  errors: WorkflowError[];
}

export type Environment = Record<string, string | undefined>;

/**
 * The validator of the workflow format, compiled at the first load rather than at import: the
 * runner thread imports this library for its steps but never loads a file, and the compiled
 * validator (with its formats) is several MB of code it would carry for nothing.
 */
let workflowValidator: ReturnType<Ajv['compile']> | undefined;
function validateWorkflow(data: unknown): ReturnType<Ajv['compile']> {
  workflowValidator ??= new Ajv({ allErrors: true, strict: false, verbose: true }).compile(workflowSchema);
  workflowValidator(data);
  return workflowValidator;
}

type Path = Array<string | number>;

/** Parsed YAML with positions, used to point every error at its place in the file. */
class SourceMap {
  constructor(
    readonly file: string,
    private readonly doc: Document,
    private readonly counter: LineCounter,
    private readonly text: string,
  ) {}

  error(path: Path, message: string, key?: string): WorkflowError {
    return { file: this.file, ...this.position(path, key), message };
  }

  /**
   * An error inside an expression or template: `index` is the 0-based offset in the scalar's
   * value, mapped back through quotes, escapes, folding and block indentation to the file.
   */
  errorAt(path: Path, index: number | undefined, message: string): WorkflowError {
    const node = this.node(path);
    if (index === undefined || !isScalar(node) || !node.range) return this.error(path, message);
    const offset = scalarOffset(this.text, node, index);
    if (offset === undefined) return this.error(path, message);
    return { file: this.file, ...this.counter.linePos(offset), message };
  }

  private node(path: Path): Node | undefined {
    return this.doc.getIn(path, true) as Node | undefined;
  }

  private position(path: Path, key?: string): { line: number; col: number } {
    for (let depth = path.length; depth >= 0; depth -= 1) {
      const node = this.node(path.slice(0, depth));
      if (depth === path.length && key !== undefined && isMap(node)) {
        const pair = node.items.find((item) => isScalar(item.key) && item.key.value === key);
        const range = (pair?.key as Node | undefined)?.range;
        if (range) return this.counter.linePos(range[0]);
      }
      if (node?.range) return this.counter.linePos(node.range[0]);
    }
    return { line: 1, col: 1 };
  }
}

const ESCAPE_LENGTH: Record<string, number> = { x: 4, u: 6, U: 10 };

/**
 * The file offset of character `index` of a scalar's value. Walks the source beside the
 * value: characters that match advance both, source whitespace that folding or block
 * indentation removed is skipped, and quote escapes are decoded. Undefined when the two
 * disagree in a way this walk cannot explain.
 */
function scalarOffset(text: string, node: Scalar, index: number): number | undefined {
  if (typeof node.value !== 'string' || node.value.length === 0 || !node.range) return undefined;
  const value = node.value;
  const target = Math.min(Math.max(index, 0), value.length - 1);
  const [start, end] = node.range;
  const raw = text.slice(start, end);
  const double = node.type === Scalar.QUOTE_DOUBLE;
  const single = node.type === Scalar.QUOTE_SINGLE;
  let j = double || single ? 1 : 0;
  if (node.type === Scalar.BLOCK_LITERAL || node.type === Scalar.BLOCK_FOLDED) {
    // The content starts on the line after the `|` or `>` header.
    j = raw.indexOf('\n') + 1;
    if (j === 0) return undefined;
  }
  const isSpace = (char: string | undefined): boolean => char === ' ' || char === '\t' || char === '\n' || char === '\r';
  let i = 0;
  while (i <= target && j < raw.length) {
    if (double && raw[j] === '\\') {
      const next = raw[j + 1] ?? '';
      if (next === '\n' || next === '\r') {
        j += 1; // an escaped line break: the break and the next line's indentation vanish
        continue;
      }
      const length = ESCAPE_LENGTH[next] ?? 2;
      const width = next === 'U' ? String.fromCodePoint(parseInt(raw.slice(j + 2, j + 10), 16) || 0).length : 1;
      if (target < i + width) return start + j;
      i += width;
      j += length;
      continue;
    }
    if (single && raw[j] === "'" && raw[j + 1] === "'") {
      if (i === target) return start + j;
      i += 1;
      j += 2;
      continue;
    }
    if (value[i] === raw[j]) {
      if (i === target) return start + j;
      i += 1;
      j += 1;
    } else if (isSpace(raw[j])) {
      j += 1;
    } else if (isSpace(value[i])) {
      if (i === target) return start + j;
      i += 1;
    } else {
      return undefined;
    }
  }
  return undefined;
}

/** Where a YAML error is: the parser's offset, or for an unclosed quote the quote that opened it. */
function yamlErrorPosition(doc: Document, counter: LineCounter, error: YAMLError): { line: number; col: number } {
  let offset = error.pos[0];
  if (error.code === 'MISSING_CHAR' && /quote/.test(error.message)) {
    visit(doc, {
      Scalar(_key, node) {
        const quoted = node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE;
        if (quoted && node.range && node.range[0] < error.pos[0] && node.range[1] >= error.pos[0]) {
          offset = node.range[0];
          return visit.BREAK;
        }
        return undefined;
      },
    });
  }
  return counter.linePos(offset);
}

/** Where a node of a workflow's text is (its nearest existing ancestor if it is absent), for errors found after loading. */
export function sourcePosition(file: string, text: string, path: Path): { line: number; col: number } {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false });
  const { line, col } = new SourceMap(file, doc, counter, text).error(path, '');
  return { line, col };
}

export function workflowVersion(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** Loads one file's text. `file` is the path shown in errors, relative to the workflows folder. */
export function loadWorkflowSource(file: string, text: string, env: Environment): LoadedFile {
  const fallbackId = basename(file, extname(file));
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      file,
      id: fallbackId,
      errors: doc.errors.map((error) => ({
        file,
        ...yamlErrorPosition(doc, counter, error),
        message: `invalid YAML: ${error.message.split('\n')[0]}`,
      })),
    };
  }
  const source = new SourceMap(file, doc, counter, text);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // Alias bombs and unresolvable aliases fail here rather than in the parser.
    return { file, id: fallbackId, errors: [source.error([], `invalid YAML: ${(error as Error).message}`)] };
  }
  const id = isRecord(data) && typeof data.id === 'string' ? data.id : fallbackId;
  const validated = validateWorkflow(data);
  if (validated.errors) {
    return { file, id, errors: describeSchemaErrors(validated.errors, source) };
  }
  const builder = new WorkflowBuilder(source, env);
  const workflow = builder.build(data as unknown as RawWorkflow, { id, file, text, fallbackId });
  if (builder.errors.length > 0) return { file, id, errors: [...builder.errors].sort(byPosition) };
  return { file, id, workflow: workflow!, errors: [] };
}

interface RawAuth {
  type: WebhookAuth['type'];
  preset?: string;
  secret: string | string[];
  header?: string;
  algorithm?: 'sha1' | 'sha256' | 'sha512';
  encoding?: 'hex' | 'base64';
  prefix?: string;
  tolerance?: string | number;
}

interface RawWebhook {
  path?: string;
  methods?: HttpMethod[];
  auth?: RawAuth | RawAuth[];
  allowIps?: string[];
  rateLimit?: { requests: number; per: string | number };
  maxBody?: string | number;
  schema?: object;
  idempotencyKey?: string;
  filter?: string;
}

interface RawStep {
  id: string;
  name?: string;
  type: Step['type'];
  if?: string;
  expression?: string;
  method?: HttpMethod;
  url?: string;
  headers?: Record<string, string>;
  body?: string;
  json?: string;
  timeout?: string | number;
  retry?: { attempts?: number; backoff?: RetryPolicy['backoff']; delay?: string | number; maxDelay?: string | number };
}

interface RawWorkflow {
  id?: string;
  name?: string;
  secrets?: string[];
  trigger?: { webhook?: RawWebhook; cron?: string | { schedule: string; timezone?: string } };
  steps: RawStep[];
}

/** Compiles a schema-valid document, collecting every semantic error rather than stopping at the first. */
class WorkflowBuilder {
  readonly errors: WorkflowError[] = [];
  private secrets: Record<string, string> = {};
  private declared = new Set<string>();

  constructor(
    private readonly source: SourceMap,
    private readonly env: Environment,
  ) {}

  build(raw: RawWorkflow, meta: { id: string; file: string; text: string; fallbackId: string }): Workflow | undefined {
    if (raw.id === undefined && !/^[a-z0-9][a-z0-9-_]*$/.test(meta.fallbackId)) {
      this.errors.push(this.source.error([], `the file name "${meta.fallbackId}" is not a valid workflow id; add an id: field`));
    }
    this.resolveSecrets(raw.secrets ?? []);
    const trigger = raw.trigger ?? { webhook: {} };
    const webhook = trigger.webhook ? this.webhook(trigger.webhook, meta.id) : undefined;
    const cron = trigger.cron !== undefined ? this.cron(trigger.cron) : undefined;
    const steps = this.steps(raw.steps);
    if (this.errors.length > 0) return undefined;
    return {
      id: meta.id,
      name: raw.name ?? meta.id,
      version: workflowVersion(meta.text),
      file: meta.file,
      source: meta.text,
      secrets: this.secrets,
      ...(webhook ? { webhook } : {}),
      ...(cron ? { cron } : {}),
      steps,
    };
  }

  private resolveSecrets(names: string[]): void {
    names.forEach((name, index) => {
      this.declared.add(name);
      const value = this.env[name];
      if (value === undefined || value === '') {
        this.errors.push(this.source.error(['secrets', index], `secret ${name} is not set in the environment`));
      } else {
        this.secrets[name] = value;
      }
    });
  }

  private webhook(raw: RawWebhook, id: string): WebhookTrigger {
    const at: Path = ['trigger', 'webhook'];
    const auths = raw.auth === undefined ? [] : Array.isArray(raw.auth) ? raw.auth : [raw.auth];
    const authPath = (index: number): Path => (Array.isArray(raw.auth) ? [...at, 'auth', index] : [...at, 'auth']);
    const trigger: WebhookTrigger = {
      path: raw.path ?? id,
      methods: raw.methods ?? ['POST'],
      auth: auths.map((auth, index) => this.auth(auth, authPath(index))),
      allowIps: raw.allowIps ?? [],
    };
    // Checked by the parser intake compiles them with, so what loads is what intake accepts.
    trigger.allowIps.forEach((cidr, index) => {
      try {
        compileAllowlist([cidr]);
      } catch {
        this.errors.push(this.source.error([...at, 'allowIps', index], `"${cidr}" is not an IP address or CIDR range`));
      }
    });
    if (raw.rateLimit) {
      trigger.rateLimit = { requests: raw.rateLimit.requests, perMs: parseDuration(raw.rateLimit.per) };
      if (trigger.rateLimit.perMs < 1000) {
        this.errors.push(this.source.error([...at, 'rateLimit', 'per'], 'a rate limit period must be at least 1s'));
      }
    }
    if (raw.maxBody !== undefined) trigger.maxBodyBytes = parseSize(raw.maxBody);
    if (raw.schema) {
      try {
        const validate = compileBodySchema(raw.schema);
        trigger.schema = {
          source: raw.schema,
          validate: (body: unknown): BodyViolation[] => (validate(body) ? [] : (validate.errors ?? []).map(bodyViolation)),
        };
      } catch (error) {
        this.errors.push(this.source.error([...at, 'schema'], `invalid JSON Schema: ${(error as Error).message}`));
      }
    }
    if (raw.idempotencyKey !== undefined) trigger.idempotencyKey = this.expression([...at, 'idempotencyKey'], raw.idempotencyKey);
    if (raw.filter !== undefined) trigger.filter = this.expression([...at, 'filter'], raw.filter);
    return trigger;
  }

  private auth(raw: RawAuth, at: Path): WebhookAuth {
    const list = Array.isArray(raw.secret) ? raw.secret : [raw.secret];
    const secrets = list.map((secret, index) => {
      const path = Array.isArray(raw.secret) ? [...at, 'secret', index] : [...at, 'secret'];
      const template = this.template(path, secret);
      if (!template) return '';
      try {
        const value = template.render({ secrets: this.secrets });
        if (value === '') this.errors.push(this.source.error(path, 'the secret is empty'));
        return value;
      } catch (error) {
        // Missing secrets were reported where they are declared; only report other failures.
        if (!(error instanceof TemplateError && error.missingName?.startsWith('secrets.'))) {
          this.errors.push(this.source.error(path, `${pathLabel(path)}: ${(error as Error).message}`));
        }
        return '';
      }
    });
    switch (raw.type) {
      case 'hmac':
        return {
          type: 'hmac',
          preset: raw.preset as Extract<WebhookAuth, { type: 'hmac' }>['preset'],
          secrets,
          toleranceMs: raw.tolerance !== undefined ? parseDuration(raw.tolerance) : DEFAULT_TOLERANCE_MS,
          ...(raw.header !== undefined ? { header: raw.header.toLowerCase() } : {}),
          ...(raw.algorithm !== undefined ? { algorithm: raw.algorithm } : {}),
          ...(raw.encoding !== undefined ? { encoding: raw.encoding } : {}),
          ...(raw.prefix !== undefined ? { prefix: raw.prefix } : {}),
        };
      case 'header':
        return { type: 'header', header: raw.header!.toLowerCase(), secrets };
      default:
        return { type: raw.type, secrets };
    }
  }

  private cron(raw: string | { schedule: string; timezone?: string }): CronTrigger | undefined {
    const trigger: CronTrigger = typeof raw === 'string' ? { schedule: raw } : { ...raw };
    const path: Path = typeof raw === 'string' ? ['trigger', 'cron'] : ['trigger', 'cron', 'schedule'];
    const fields = trigger.schedule.trim().split(/\s+/).length;
    if (fields !== 5 && fields !== 6) {
      this.errors.push(this.source.error(path, `cron takes 5 fields (or 6 with seconds first), got ${fields}`));
      return undefined;
    }
    try {
      new CronTime(trigger.schedule, trigger.timezone);
    } catch (error) {
      const message = (error as Error).message;
      if (trigger.timezone !== undefined && /time ?zone/i.test(message)) {
        this.errors.push(this.source.error(['trigger', 'cron', 'timezone'], `invalid cron timezone "${trigger.timezone}"`));
      } else {
        this.errors.push(this.source.error(path, `invalid cron "${trigger.schedule}": ${message}`));
      }
      return undefined;
    }
    return trigger;
  }

  private steps(raw: RawStep[]): Step[] {
    const seen = new Set<string>();
    return raw.map((step, index) => {
      const at: Path = ['steps', index];
      if (seen.has(step.id)) this.errors.push(this.source.error([...at, 'id'], `duplicate step id "${step.id}"`));
      const earlier = new Set(seen);
      seen.add(step.id);
      const condition = step.if !== undefined ? this.expression([...at, 'if'], step.if) : undefined;
      const base = { id: step.id, ...(step.name ? { name: step.name } : {}), ...(condition ? { if: condition } : {}) };
      if (step.type === 'transform') {
        return {
          ...base,
          type: 'transform',
          expression: this.expression([...at, 'expression'], step.expression!) ?? placeholderExpression,
        };
      }
      const template = (path: Path, text: string): CompiledTemplate => this.stepTemplate(path, text, earlier) ?? placeholderTemplate;
      return {
        ...base,
        type: 'http',
        method: step.method ?? 'POST',
        url: template([...at, 'url'], step.url!),
        headers: Object.entries(step.headers ?? {}).map(([name, value]) => ({ name, value: template([...at, 'headers', name], value) })),
        ...(step.body !== undefined ? { body: template([...at, 'body'], step.body) } : {}),
        ...(step.json !== undefined ? { json: this.expression([...at, 'json'], step.json) ?? placeholderExpression } : {}),
        timeoutMs: step.timeout !== undefined ? parseDuration(step.timeout) : DEFAULT_HTTP_TIMEOUT_MS,
        retry: {
          attempts: step.retry?.attempts ?? DEFAULT_RETRY.attempts,
          backoff: step.retry?.backoff ?? DEFAULT_RETRY.backoff,
          delayMs: step.retry?.delay !== undefined ? parseDuration(step.retry.delay) : DEFAULT_RETRY.delayMs,
          maxDelayMs: step.retry?.maxDelay !== undefined ? parseDuration(step.retry.maxDelay) : DEFAULT_RETRY.maxDelayMs,
        },
      };
    });
  }

  private expression(path: Path, source: string): CompiledExpression | undefined {
    try {
      return compileExpression(source);
    } catch (error) {
      if (!(error instanceof ExpressionError)) throw error;
      this.errors.push(this.source.errorAt(path, error.start, `${pathLabel(path)}: ${error.message}`));
      return undefined;
    }
  }

  private template(path: Path, text: string): CompiledTemplate | undefined {
    try {
      const template = compileTemplate(text);
      for (const name of template.paths) {
        const [root, secret] = name.split(/[./]/);
        if (root === 'secrets' && secret !== undefined && !this.declared.has(secret)) {
          const message = `${pathLabel(path)}: secrets.${secret} is not declared in secrets:`;
          this.errors.push(this.source.errorAt(path, indexOf(text, name), message));
        }
      }
      return template;
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      const message = `${pathLabel(path)}: ${error.message}`;
      this.errors.push(this.source.errorAt(path, lineColumnIndex(text, error.line, error.column), message));
      return undefined;
    }
  }

  /** A step's template may read only steps that come before it. */
  private stepTemplate(path: Path, text: string, earlier: Set<string>): CompiledTemplate | undefined {
    const template = this.template(path, text);
    for (const name of template?.paths ?? []) {
      const [root, stepId] = name.split(/[./]/);
      if (root === 'steps' && stepId !== undefined && !earlier.has(stepId)) {
        const known = earlier.size > 0 ? [...earlier].join(', ') : 'none';
        const message = `${pathLabel(path)}: unknown name ${name} (earlier steps: ${known})`;
        this.errors.push(this.source.errorAt(path, indexOf(text, name), message));
      }
    }
    return template;
  }
}

/** Stands in for a part that failed to compile; the workflow is invalid and never runs it. */
const placeholderExpression: CompiledExpression = { source: '', evaluate: () => Promise.resolve(undefined) };
const placeholderTemplate: CompiledTemplate = { source: '', paths: [], render: () => '' };

function indexOf(text: string, part: string): number | undefined {
  const index = text.indexOf(part);
  return index >= 0 ? index : undefined;
}

/** The 0-based index of a template line (1-based) and column (0-based); a bare line 1 says nothing. */
function lineColumnIndex(text: string, line: number | undefined, column: number | undefined): number | undefined {
  if (line === undefined || (line === 1 && column === undefined)) return undefined;
  const lines = text.split('\n');
  if (line > lines.length) return undefined;
  const before = lines.slice(0, line - 1).reduce((sum, content) => sum + content.length + 1, 0);
  return before + Math.min(column ?? 0, Math.max(0, lines[line - 1]!.length - 1));
}

/**
 * Body schemas compile once per distinct content, on one shared Ajv: compiling is the costly
 * part of loading (a fresh Ajv per schema made 1,000 workflows take seconds), and a reload
 * mostly brings the same schemas again. A schema with its own `$id` gets an Ajv of its own,
 * since a shared one refuses an `$id` it has already seen.
 */
let bodyAjv: Ajv | undefined;
const bodyValidators = new Map<string, ReturnType<Ajv['compile']>>();

function compileBodySchema(schema: object): ReturnType<Ajv['compile']> {
  const key = JSON.stringify(schema);
  let validate = bodyValidators.get(key);
  if (!validate) {
    const fresh =
      '$id' in schema
        ? withFormats(new Ajv({ allErrors: true, strict: false }))
        : (bodyAjv ??= withFormats(new Ajv({ allErrors: true, strict: false })));
    validate = fresh.compile(schema as Record<string, unknown>);
    bodyValidators.set(key, validate);
  }
  return validate;
}

function withFormats(instance: Ajv): Ajv {
  // ajv-formats is CommonJS: under NodeNext its default import is the module, whose `default` is the plugin.
  ajvFormats.default(instance);
  return instance;
}

/** A violation at the property it concerns: a missing property is reported at its own path. */
function bodyViolation(error: ErrorObject): BodyViolation {
  const params = error.params as Record<string, unknown>;
  const missing = error.keyword === 'required' || error.keyword === 'dependentRequired' ? params.missingProperty : undefined;
  const path =
    typeof missing === 'string' ? `${error.instancePath}/${missing.replace(/~/g, '~0').replace(/\//g, '~1')}` : error.instancePath;
  return { path: path || '/', message: error.message ?? 'invalid' };
}

function pathLabel(path: Path): string {
  return path
    .map((part) => (typeof part === 'number' ? `[${part}]` : `.${part}`))
    .join('')
    .replace(/^\./, '');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Ajv's errors, made readable and pointed at the offending node. */
function describeSchemaErrors(errors: ErrorObject[], source: SourceMap): WorkflowError[] {
  const byPath = new Map<string, ErrorObject[]>();
  for (const error of errors) {
    if (error.keyword === 'if') continue;
    const list = byPath.get(error.instancePath) ?? [];
    list.push(error);
    byPath.set(error.instancePath, list);
  }
  const described: WorkflowError[] = [];
  for (const [instancePath, list] of byPath) {
    const path: Path = instancePath
      .split('/')
      .slice(1)
      .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
      .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
    const label = pathLabel(path) || 'the workflow';
    for (const error of explainOneOf(list, errors)) described.push(describeOne(error, path, label, source));
  }
  const unique = new Map(described.map((error) => [`${error.line}:${error.col}:${error.message}`, error]));
  return [...unique.values()].sort(byPosition);
}

function byPosition(a: WorkflowError, b: WorkflowError): number {
  return a.line - b.line || a.col - b.col;
}

/**
 * A oneOf failure drags in the errors of every branch. A described oneOf (durations, sizes)
 * explains itself best by its description. Otherwise the branches whose type doesn't fit
 * the value are noise, and what the fitting branch says is the explanation (`auth` missing
 * `preset`), here or deeper in the value, where those errors are reported at their own paths.
 */
function explainOneOf(list: ErrorObject[], all: ErrorObject[]): ErrorObject[] {
  const oneOf = list.find((error) => error.keyword === 'oneOf');
  if (!oneOf) return list;
  const rest = list.filter((error) => error !== oneOf);
  if ((oneOf.parentSchema as { description?: string } | undefined)?.description) {
    return [oneOf, ...rest.filter((error) => error.keyword !== 'type' && error.keyword !== 'pattern')];
  }
  const typeErrors = rest.filter((error) => error.keyword === 'type');
  const explained = rest.filter((error) => error.keyword !== 'type');
  if (explained.length > 0) return explained;
  const deeper = all.some((error) => error.instancePath.startsWith(`${oneOf.instancePath}/`));
  if (deeper) return [];
  if (typeErrors.length > 0) {
    const types = typeErrors.map((error) => String((error.params as { type?: unknown }).type));
    return [{ ...oneOf, keyword: 'type', message: `must be ${[...new Set(types)].join(' or ')}` }];
  }
  return [oneOf];
}

function describeOne(error: ErrorObject, path: Path, label: string, source: SourceMap): WorkflowError {
  const params = error.params as Record<string, unknown>;
  const stepType = path[0] === 'steps' && path.length === 3 && path[2] === 'type';
  switch (error.keyword) {
    case 'required':
      return source.error(path, `${label}: missing required property "${String(params.missingProperty)}"`);
    case 'additionalProperties':
      return source.error(path, `${label}: unknown property "${String(params.additionalProperty)}"`, String(params.additionalProperty));
    case 'enum':
      if (stepType) return source.error(path, `unknown step type ${JSON.stringify(error.data)} (expected one of: transform, http)`);
      return source.error(path, `${label}: must be one of: ${(params.allowedValues as unknown[]).join(', ')}`);
    case 'false schema':
      return source.error(path, `${label}: "${String(path[path.length - 1])}" is not allowed here for this step type`);
    case 'not':
      return source.error(path, `${label}: an http step takes either body or json, not both`);
    case 'oneOf': {
      const description = (error.parentSchema as { description?: string } | undefined)?.description;
      return source.error(path, `${label}: ${description ? `expected ${description}` : 'has an invalid value'}`);
    }
    default:
      return source.error(path, `${label}: ${error.message ?? 'is invalid'}`);
  }
}
