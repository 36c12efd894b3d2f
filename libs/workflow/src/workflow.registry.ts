/**
 * The set of workflows a process serves, rebuilt from the workflows folder on every load.
 * A file that breaks keeps serving its last valid version; every version ever loaded
 * stays reachable by id and version so that a run finishes on the version it started with.
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, extname, join, relative } from 'node:path';
import { loadWorkflowSource, sourcePosition, type Environment, type LoadedFile } from './workflow.loader.js';
import type { Workflow, WorkflowError } from './workflow.types.js';

export interface WorkflowStatus {
  id: string;
  file: string;
  status: 'active' | 'invalid';
  errors: WorkflowError[];
  /** The version serving deliveries: the file's, or the last valid one while the file is broken. */
  workflow?: Workflow;
}

/** A file's text, and what it compiled to. */
interface CompiledFile {
  text: string;
  loaded: LoadedFile;
}

export class WorkflowRegistry {
  private statuses: WorkflowStatus[] = [];
  private byId = new Map<string, Workflow>();
  private byPath = new Map<string, Workflow>();
  private readonly versions = new Map<string, Workflow>();
  /** Loads run one after another, so a slow earlier load can't overwrite a later one. */
  private loading: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Set<(statuses: readonly WorkflowStatus[]) => void>();
  /** Each file's text and what it compiled to at the last load: an unchanged file is not compiled again. */
  private compiled = new Map<string, CompiledFile>();

  constructor(
    readonly dir: string,
    private readonly env: Environment,
  ) {}

  /** Reads every `*.yaml`/`*.yml` under the folder and swaps the served set in one step. */
  load(): Promise<WorkflowStatus[]> {
    const next = this.loading.then(async () => {
      const files = await listWorkflowFiles(this.dir);
      const compiled = new Map<string, CompiledFile>();
      this.apply(await Promise.all(files.map((path) => this.loadFile(path, compiled))));
      this.compiled = compiled;
      for (const listener of this.listeners) listener(this.statuses);
      return this.statuses;
    });
    this.loading = next.catch(() => undefined);
    return next;
  }

  /** Called after every load with the new statuses (e.g. to reschedule cron triggers). */
  onLoad(listener: (statuses: readonly WorkflowStatus[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Replaces the served set with these loaded files, in order (exposed for tests and the CLI).
   * A file serves its new version, or else its last valid one; a second file claiming an id
   * or hook path already served is invalid and the first keeps it.
   */
  apply(loaded: LoadedFile[]): void {
    const previous = new Map(this.statuses.flatMap((status) => (status.workflow ? [[status.file, status.workflow] as const] : [])));
    const ids = new Map<string, string>();
    const paths = new Map<string, string>();
    const statuses: WorkflowStatus[] = [];
    const byId = new Map<string, Workflow>();
    const byPath = new Map<string, Workflow>();
    for (const file of loaded) {
      const errors = [...file.errors];
      const candidates = [file.workflow, previous.get(file.file)].filter((workflow): workflow is Workflow => workflow !== undefined);
      let serving: Workflow | undefined;
      for (const candidate of new Set(candidates)) {
        const conflict = duplicateOf(candidate, ids, paths);
        if (!conflict) {
          serving = candidate;
          break;
        }
        // Report the file's own version's conflict; an old version's is no news to its author.
        if (candidate === file.workflow) errors.push(conflict);
      }
      if (serving) {
        ids.set(serving.id, file.file);
        byId.set(serving.id, serving);
        if (serving.webhook) {
          paths.set(serving.webhook.path, file.file);
          byPath.set(serving.webhook.path, serving);
        }
        this.remember(serving);
      }
      statuses.push({
        id: serving?.id ?? file.id,
        file: file.file,
        status: file.workflow !== undefined && serving === file.workflow ? 'active' : 'invalid',
        errors,
        ...(serving ? { workflow: serving } : {}),
      });
    }
    this.statuses = statuses;
    this.byId = byId;
    this.byPath = byPath;
  }

  list(): readonly WorkflowStatus[] {
    return this.statuses;
  }

  get(id: string): Workflow | undefined {
    return this.byId.get(id);
  }

  /** The workflow serving a hook path; `/hooks/<path>/<token>` finds `<path>` too. */
  findByPath(path: string): { workflow: Workflow; pathToken?: string } | undefined {
    const exact = this.byPath.get(path);
    if (exact) return { workflow: exact };
    const slash = path.lastIndexOf('/');
    if (slash <= 0 || slash === path.length - 1) return undefined;
    const parent = this.byPath.get(path.slice(0, slash));
    if (!parent?.webhook?.auth.some((auth) => auth.type === 'token')) return undefined;
    let pathToken: string;
    try {
      pathToken = decodeURIComponent(path.slice(slash + 1));
    } catch {
      return undefined; // a malformed %-escape can't be anyone's token
    }
    return { workflow: parent, pathToken };
  }

  /** A version loaded by this process, or one compiled from storage and remembered. */
  version(id: string, version: string): Workflow | undefined {
    return this.versions.get(`${id}@${version}`);
  }

  remember(workflow: Workflow): void {
    this.versions.set(`${workflow.id}@${workflow.version}`, workflow);
  }

  /** Compiles a stored version's source (after a restart, when the file has changed since). */
  compileStored(id: string, file: string, source: string): Workflow | undefined {
    const loaded = loadWorkflowSource(file, source, this.env);
    if (!loaded.workflow || loaded.workflow.id !== id) return undefined;
    this.remember(loaded.workflow);
    return loaded.workflow;
  }

  /** A file that can't be read is one invalid workflow, not a failed load. */
  private async loadFile(path: string, compiled: Map<string, CompiledFile>): Promise<LoadedFile> {
    const file = relative(this.dir, path);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      const message = `cannot read the file: ${(error as Error).message}`;
      return { file, id: basename(file, extname(file)), errors: [{ file, line: 1, col: 1, message }] };
    }
    const last = this.compiled.get(file);
    const loaded = last?.text === text ? last.loaded : loadWorkflowSource(file, text, this.env);
    compiled.set(file, { text, loaded });
    return loaded;
  }
}

/** The error for a workflow whose id or hook path another file already serves, pointed at that field. */
function duplicateOf(workflow: Workflow, ids: Map<string, string>, paths: Map<string, string>): WorkflowError | undefined {
  const idTakenBy = ids.get(workflow.id);
  if (idTakenBy !== undefined) {
    const at = sourcePosition(workflow.file, workflow.source, ['id']);
    return { file: workflow.file, ...at, message: `duplicate workflow id "${workflow.id}" (also in ${idTakenBy})` };
  }
  const path = workflow.webhook?.path;
  const pathTakenBy = path !== undefined ? paths.get(path) : undefined;
  if (path !== undefined && pathTakenBy !== undefined) {
    const at = sourcePosition(workflow.file, workflow.source, ['trigger', 'webhook', 'path']);
    return { file: workflow.file, ...at, message: `duplicate webhook path "${path}" (also in ${pathTakenBy})` };
  }
  return undefined;
}

export async function listWorkflowFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile() && /\.ya?ml$/i.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}
