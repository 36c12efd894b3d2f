import type { Database } from './database.js';

export interface StoredVersion {
  workflowId: string;
  version: string;
  file: string;
  source: string;
}

/** Keeps every workflow version's source, so runs finish on their own version after edits and restarts. */
export class WorkflowVersionRepository {
  constructor(private readonly db: Database) {}

  async save(versions: readonly StoredVersion[], now: number): Promise<void> {
    if (versions.length === 0) return;
    await this.db.transaction(async (tx) => {
      for (const version of versions) {
        await tx.run(
          `INSERT INTO workflow_versions (workflow_id, version, file, source, created_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (workflow_id, version) DO NOTHING`,
          [version.workflowId, version.version, version.file, version.source, now],
        );
      }
    });
  }

  async find(workflowId: string, version: string): Promise<StoredVersion | undefined> {
    const [row] = await this.db.all<{ workflow_id: string; version: string; file: string; source: string }>(
      `SELECT workflow_id, version, file, source FROM workflow_versions WHERE workflow_id = ? AND version = ?`,
      [workflowId, version],
    );
    return row && { workflowId: row.workflow_id, version: row.version, file: row.file, source: row.source };
  }
}
