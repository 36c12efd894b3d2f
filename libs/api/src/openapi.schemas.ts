/**
 * JSON Schemas of the API's answers for the OpenAPI document. They describe what
 * presenters.ts produces; the presenters stay the source of truth for the shapes.
 */
import type { SchemaObject } from '@nestjs/swagger';

const dateTime = { type: 'string', format: 'date-time' } as const;
const nullableDateTime = { type: 'string', format: 'date-time', nullable: true } as const;
const errorInfo: SchemaObject = {
  type: 'object',
  nullable: true,
  properties: { code: { type: 'string' }, message: { type: 'string' }, stepId: { type: 'string' } },
  description: 'code `ERROR_UNREADABLE` when the stored error is not valid JSON (a damaged record)',
};

export const ERROR_SCHEMA = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string', example: 'RUN_NOT_FOUND' }, message: { type: 'string' } },
    },
  },
} satisfies SchemaObject;

export const RUN_STATUSES = ['queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled'];
export const DELIVERY_OUTCOMES = ['accepted', 'duplicate', 'filtered', 'rejected'];

export const RUN_SCHEMA: SchemaObject = {
  type: 'object',
  properties: {
    id: { type: 'string', description: 'UUIDv7 (time-ordered)' },
    workflowId: { type: 'string' },
    workflowVersion: { type: 'string' },
    status: { type: 'string', enum: RUN_STATUSES },
    attempt: { type: 'integer', description: '1, then +1 for each retry through the API' },
    triggerType: { type: 'string', enum: ['webhook', 'cron'] },
    deliveryId: { type: 'string', nullable: true },
    error: errorInfo,
    cancelRequested: { type: 'boolean' },
    nextAttemptAt: { ...nullableDateTime, description: 'when a waiting run is retried' },
    createdAt: dateTime,
    updatedAt: dateTime,
    startedAt: nullableDateTime,
    finishedAt: nullableDateTime,
  },
};

const ATTEMPT_SCHEMA: SchemaObject = {
  type: 'object',
  properties: {
    number: { type: 'integer' },
    runAttempt: { type: 'integer' },
    status: { type: 'string', enum: ['running', 'succeeded', 'failed', 'interrupted'] },
    httpStatus: { type: 'integer', nullable: true },
    error: errorInfo,
    startedAt: nullableDateTime,
    finishedAt: nullableDateTime,
    durationMs: { type: 'integer', nullable: true },
  },
};

export const RUN_DETAIL_SCHEMA: SchemaObject = {
  allOf: [
    RUN_SCHEMA,
    {
      type: 'object',
      properties: {
        trigger: {
          description:
            'what the steps saw as `trigger`: body, headers (secrets masked), query, method, path, ip, receivedAt, deliveryId. ' +
            'An object; the stored text, as a string, when that is not valid JSON (a damaged record: the run fails with TRIGGER_UNREADABLE)',
        },
        steps: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              id: { type: 'string' },
              position: { type: 'integer' },
              status: { type: 'string', enum: ['running', 'waiting', 'succeeded', 'failed', 'skipped'] },
              output: {
                description:
                  "the step's output (secrets masked); the stored text, as a string, when that is not valid JSON (a damaged record: the run fails with OUTPUT_UNREADABLE)",
              },
              error: errorInfo,
              startedAt: nullableDateTime,
              finishedAt: nullableDateTime,
              attempts: { type: 'array', items: ATTEMPT_SCHEMA },
            },
          },
        },
      },
    },
  ],
};

export const DELIVERY_SCHEMA: SchemaObject = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    workflowId: { type: 'string' },
    receivedAt: dateTime,
    method: { type: 'string' },
    path: { type: 'string' },
    ip: { type: 'string' },
    status: { type: 'integer', description: 'the HTTP status answered' },
    outcome: { type: 'string', enum: DELIVERY_OUTCOMES },
    reason: { type: 'string', nullable: true, description: 'the error code when rejected' },
    message: { type: 'string', nullable: true },
    runId: { type: 'string', nullable: true },
  },
};

export const DELIVERY_DETAIL_SCHEMA: SchemaObject = {
  allOf: [
    DELIVERY_SCHEMA,
    {
      type: 'object',
      properties: {
        query: { type: 'object' },
        headers: { type: 'object', additionalProperties: { type: 'string' }, description: 'credentials and signatures masked' },
        body: { type: 'string', nullable: true },
        bodyTruncated: { type: 'boolean' },
      },
    },
  ],
};

export const WORKFLOW_SCHEMA: SchemaObject = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    version: { type: 'string', nullable: true },
    file: { type: 'string' },
    status: { type: 'string', enum: ['active', 'invalid'] },
    webhookUrl: { type: 'string', nullable: true },
    methods: { type: 'array', items: { type: 'string' } },
    cron: {
      type: 'object',
      nullable: true,
      properties: { schedule: { type: 'string' }, timezone: { type: 'string' } },
      required: ['schedule'],
    },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          file: { type: 'string' },
          line: { type: 'integer' },
          col: { type: 'integer' },
          message: { type: 'string' },
          text: { type: 'string' },
        },
      },
    },
  },
};

export const WORKFLOW_DETAIL_SCHEMA: SchemaObject = {
  allOf: [
    WORKFLOW_SCHEMA,
    {
      type: 'object',
      properties: {
        definition: { type: 'string', nullable: true, description: 'the YAML source of the serving version' },
        recentRuns: { type: 'object', description: 'run counts by status over the last 24 hours', additionalProperties: true },
      },
    },
  ],
};

export function pageOf(items: SchemaObject): SchemaObject {
  return {
    type: 'object',
    properties: {
      items: { type: 'array', items },
      nextCursor: { type: 'string', nullable: true, description: 'pass as `cursor` for the next page; null on the last' },
    },
  };
}
