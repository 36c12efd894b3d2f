import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The first schema. Plain SQL that SQLite and PostgreSQL both accept. */
export class InitialSchema1764200000000 implements MigrationInterface {
  name = 'InitialSchema1764200000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`CREATE TABLE workflow_versions (
      workflow_id varchar(100) NOT NULL,
      version varchar(64) NOT NULL,
      file varchar(500) NOT NULL,
      source text NOT NULL,
      created_at bigint NOT NULL,
      PRIMARY KEY (workflow_id, version)
    )`);
    await runner.query(`CREATE TABLE deliveries (
      id varchar(36) PRIMARY KEY,
      workflow_id varchar(100) NOT NULL,
      received_at bigint NOT NULL,
      method varchar(10) NOT NULL,
      path varchar(2000) NOT NULL,
      query text NOT NULL,
      headers text NOT NULL,
      body text NULL,
      body_truncated smallint NOT NULL DEFAULT 0,
      ip varchar(64) NOT NULL,
      status integer NOT NULL,
      outcome varchar(16) NOT NULL,
      reason varchar(64) NULL,
      message text NULL,
      run_id varchar(36) NULL,
      idempotency_key varchar(500) NULL
    )`);
    await runner.query(`CREATE INDEX deliveries_workflow ON deliveries (workflow_id, id)`);
    await runner.query(`CREATE UNIQUE INDEX deliveries_idempotency ON deliveries (workflow_id, idempotency_key)`);
    await runner.query(`CREATE TABLE runs (
      id varchar(36) PRIMARY KEY,
      workflow_id varchar(100) NOT NULL,
      workflow_version varchar(64) NOT NULL,
      delivery_id varchar(36) NULL,
      trigger_type varchar(16) NOT NULL,
      trigger text NOT NULL,
      status varchar(16) NOT NULL,
      attempt integer NOT NULL DEFAULT 1,
      run_at bigint NOT NULL,
      lease_owner varchar(64) NULL,
      cancel_requested smallint NOT NULL DEFAULT 0,
      error text NULL,
      created_at bigint NOT NULL,
      updated_at bigint NOT NULL,
      started_at bigint NULL,
      finished_at bigint NULL
    )`);
    await runner.query(`CREATE INDEX runs_due ON runs (status, run_at)`);
    await runner.query(`CREATE INDEX runs_workflow ON runs (workflow_id, id)`);
    await runner.query(`CREATE INDEX runs_status ON runs (status, id)`);
    await runner.query(`CREATE TABLE run_steps (
      run_id varchar(36) NOT NULL,
      step_id varchar(100) NOT NULL,
      position integer NOT NULL,
      status varchar(16) NOT NULL,
      output text NULL,
      error text NULL,
      attempts integer NOT NULL DEFAULT 0,
      started_at bigint NULL,
      finished_at bigint NULL,
      PRIMARY KEY (run_id, step_id)
    )`);
    await runner.query(`CREATE TABLE step_attempts (
      id varchar(36) PRIMARY KEY,
      run_id varchar(36) NOT NULL,
      step_id varchar(100) NOT NULL,
      number integer NOT NULL,
      run_attempt integer NOT NULL,
      status varchar(16) NOT NULL,
      http_status integer NULL,
      error text NULL,
      started_at bigint NOT NULL,
      finished_at bigint NULL,
      duration_ms integer NULL
    )`);
    await runner.query(`CREATE UNIQUE INDEX step_attempts_run ON step_attempts (run_id, step_id, number)`);
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const table of ['step_attempts', 'run_steps', 'runs', 'deliveries', 'workflow_versions']) {
      await runner.query(`DROP TABLE ${table}`);
    }
  }
}
