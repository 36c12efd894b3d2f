/**
 * Hot reload: the workflows folder is watched, and an edit serves new deliveries within a
 * moment. Runs in flight keep their version (every version is stored before it serves);
 * a broken edit keeps the last valid version serving and is reported; a deleted file stops
 * its hook while its runs finish.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { WorkflowVersionRepository } from '#libs/store';
import { formatWorkflowError, WorkflowRegistry } from '#libs/workflow';

/** Editors write a file in several steps; wait for them to settle before reloading. */
const SETTLE_MS = 150;

@Injectable()
export class WorkflowWatcher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Workflows');
  /** One watcher per folder: Node's recursive watch on Linux loses files that editors replace by rename. */
  private readonly watchers = new Map<string, FSWatcher>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly registry: WorkflowRegistry,
    private readonly versions: WorkflowVersionRepository,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.watchFolders();
  }

  onModuleDestroy(): void {
    clearTimeout(this.timer);
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
  }

  /** Watches the folder and every folder below it; folders added or removed are picked up at each reload. */
  private async watchFolders(): Promise<void> {
    const folders = new Set([this.registry.dir, ...(await subfolders(this.registry.dir).catch(() => []))]);
    for (const [folder, watcher] of this.watchers) {
      if (!folders.has(folder)) {
        watcher.close();
        this.watchers.delete(folder);
      }
    }
    for (const folder of folders) {
      if (this.watchers.has(folder)) continue;
      try {
        const watcher = watch(folder, () => this.schedule());
        watcher.on('error', () => {
          watcher.close();
          this.watchers.delete(folder);
        });
        this.watchers.set(folder, watcher);
      } catch (error) {
        this.logger.error({ msg: 'cannot watch a workflows folder; its edits need a restart', folder, error: (error as Error).message });
      }
    }
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.reload(), SETTLE_MS);
  }

  async reload(): Promise<void> {
    try {
      await loadWorkflows(this.registry, this.versions, this.logger);
      await this.watchFolders();
    } catch (error) {
      this.logger.error({ msg: 'reloading workflows failed', error: (error as Error).message });
    }
  }
}

async function subfolders(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isDirectory()).map((entry) => join(entry.parentPath, entry.name));
}

/** Loads the folder, stores the versions now serving, and reports files that failed. */
export async function loadWorkflows(registry: WorkflowRegistry, versions: WorkflowVersionRepository, logger: Logger): Promise<void> {
  const statuses = await registry.load();
  const serving = statuses.flatMap((status) => (status.workflow ? [status.workflow] : []));
  await versions.save(
    serving.map((workflow) => ({ workflowId: workflow.id, version: workflow.version, file: workflow.file, source: workflow.source })),
    Date.now(),
  );
  for (const status of statuses) {
    for (const error of status.errors) logger.error({ msg: 'invalid workflow', workflowId: status.id, error: formatWorkflowError(error) });
  }
  const active = statuses.filter((status) => status.status === 'active').length;
  logger.log({ msg: 'workflows loaded', dir: registry.dir, active, invalid: statuses.length - active });
}
