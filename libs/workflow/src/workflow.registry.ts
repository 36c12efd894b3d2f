/**
 * The set of workflows a process serves, rebuilt from the workflows folder on every load.
 * A file that breaks keeps serving its last valid version; every version ever loaded
 * stays reachable by id and version so that a run finishes on the version it started with.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { loadWorkflowSource, type Environment, type LoadedFile } from './workflow.loader.js';
import type { Workflow, WorkflowError } from './workflow.types.js';

export interface WorkflowStatus {
  id: string;
  file: string;
  status: 'active' | 'invalid';
  errors: WorkflowError[];
  /** The version serving deliveries: the file's, or the last valid one while the file is broken. */
  workflow?: Workflow;
}

export class WorkflowRegistry {
  private statuses: WorkflowStatus[] = [];
  private byId = new Map<string, Workflow>();
  private byPath = new Map<string, Workflow>();
  private readonly versions = new Map<string, Workflow>();

  constructor(
    readonly dir: string,
    private readonly env: Environment,
  ) {}

  /** Reads every `*.yaml`/`*.yml` under the folder and swaps the served set in one step. */
  async load(): Promise<WorkflowStatus[]> {
    const files = await listWorkflowFiles(this.dir);
    const loaded = await Promise.all(
      files.map(async (path) => loadWorkflowSource(relative(this.dir, path), await readFile(path, 'utf8'), this.env)),
    );
    this.apply(loaded);
    return this.statuses;
  }

  /** Replaces the served set with these loaded files (exposed for tests and the CLI). */
  apply(loaded: LoadedFile[]): void {
    const previous = this.byId;
    markDuplicates(loaded);
    const statuses: WorkflowStatus[] = [];
    const byId = new Map<string, Workflow>();
    const byPath = new Map<string, Workflow>();
    for (const file of loaded) {
      const serving = file.workflow ?? lastValid(previous.get(file.id), file.file);
      if (serving && !byId.has(serving.id)) {
        byId.set(serving.id, serving);
        if (serving.webhook) byPath.set(serving.webhook.path, serving);
        this.remember(serving);
      }
      statuses.push({
        id: file.id,
        file: file.file,
        status: file.workflow ? 'active' : 'invalid',
        errors: file.errors,
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
    if (slash <= 0) return undefined;
    const parent = this.byPath.get(path.slice(0, slash));
    if (!parent?.webhook?.auth.some((auth) => auth.type === 'token')) return undefined;
    return { workflow: parent, pathToken: decodeURIComponent(path.slice(slash + 1)) };
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
}

function lastValid(previous: Workflow | undefined, file: string): Workflow | undefined {
  return previous && previous.file === file ? previous : undefined;
}

/** A second file claiming an id or hook path already taken is invalid; the first keeps it. */
function markDuplicates(loaded: LoadedFile[]): void {
  const ids = new Map<string, string>();
  const paths = new Map<string, string>();
  for (const file of loaded) {
    const takenBy = ids.get(file.id);
    if (takenBy) {
      file.errors.push({ file: file.file, line: 1, col: 1, message: `duplicate workflow id "${file.id}" (also in ${takenBy})` });
      delete file.workflow;
      continue;
    }
    ids.set(file.id, file.file);
    const path = file.workflow?.webhook?.path;
    if (path === undefined) continue;
    const pathTakenBy = paths.get(path);
    if (pathTakenBy) {
      file.errors.push({ file: file.file, line: 1, col: 1, message: `duplicate webhook path "${path}" (also in ${pathTakenBy})` });
      delete file.workflow;
      continue;
    }
    paths.set(path, file.file);
  }
}

export async function listWorkflowFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile() && /\.ya?ml$/i.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}
