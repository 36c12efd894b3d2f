/**
 * Intake: the checks of SPEC §3 in their order, cheapest and most selective first (rate
 * limits before signatures are computed), then one short transaction committing the
 * delivery and its queued run before the 202. Every request to a known path is recorded.
 */
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';
import { HookflowConfig } from '#libs/config';
import { isTruthy, MASK } from '#libs/engine';
import { Metrics, type DeliveryMetricOutcome } from '#libs/metrics';
import { DeliveryRepository, deliveryTrigger, RunSignal, TRIGGER_FROM_DELIVERY, type NewDelivery } from '#libs/store';
import { compileAllowlist, WorkflowRegistry, type Workflow, type WebhookTrigger } from '#libs/workflow';
import { verifyAuth } from './auth/index.js';
import { parseBody, type ParsedBody } from './body.parser.js';
import { readBody } from './body.reader.js';
import { clientIp, parseTrustProxy, type TrustProxy } from './client-ip.js';
import { maskHeaders, truncateBody } from './header-mask.js';
import { INGRESS_STATUS, type IngressErrorCode } from './ingress.errors.js';
import { HookRateLimiter } from './rate-limiter.js';

/** How much of a rejected request's body is kept for inspection. */
export const REJECTED_BODY_CAP = 64 * 1024;

export interface IncomingHook {
  method: string;
  /** The path after `/hooks/`, without the query string. */
  path: string;
  query: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
  remoteAddress: string;
  body: AsyncIterable<Buffer | string> & { destroy?(): void };
}

export interface HookAnswer {
  status: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
  /** Close the connection after answering (the rest of an oversized body is not read). */
  close?: boolean;
}

/** What is known about a delivery as the checks go; becomes its record. */
interface Intake {
  id: string;
  workflow: Workflow;
  trigger: WebhookTrigger;
  hook: IncomingHook;
  receivedAt: number;
  ip: string;
  headers: Record<string, string>;
  /** `headers` as JSON, written once for the delivery and the run's trigger. */
  headersJson: string;
  raw?: Buffer;
}

/** A body that parsed. */
type Parsed = Extract<ParsedBody, { ok: true }>;

@Injectable()
export class HooksService implements OnModuleDestroy {
  private readonly logger = new Logger(HooksService.name);
  private readonly trustProxy: TrustProxy;
  /** Allowlists and custom auth header names worked out once per trigger object; a reload brings new trigger objects. */
  private readonly allowlists = new WeakMap<WebhookTrigger, (ip: string) => boolean>();
  private readonly authHeaders = new WeakMap<WebhookTrigger, string[]>();

  constructor(
    private readonly registry: WorkflowRegistry,
    private readonly deliveries: DeliveryRepository,
    private readonly signal: RunSignal,
    @Inject(HookflowConfig) private readonly config: HookflowConfig,
    private readonly metrics: Metrics,
    private readonly limiter: HookRateLimiter,
  ) {
    this.trustProxy = parseTrustProxy(config.trustProxy);
  }

  /** Set when shutdown begins: new deliveries are turned away (503) so senders retry elsewhere or later. */
  private closing = false;

  onModuleDestroy(): void {
    this.closing = true;
  }

  async receive(received: IncomingHook): Promise<HookAnswer> {
    if (this.closing) return error('SHUTTING_DOWN', 'the server is shutting down; retry later', { 'retry-after': '5' });
    const match = this.registry.findByPath(received.path);
    const trigger = match?.workflow.webhook;
    if (!match || !trigger) return error('WORKFLOW_NOT_FOUND', `no workflow serves /hooks/${received.path}`);
    // A token in the path is a credential: what is stored and shown has it masked.
    const hook = match.pathToken === undefined ? received : { ...received, path: `${trigger.path}/${MASK}` };
    const headers = maskHeaders(hook.headers, this.authHeaderNames(trigger));
    const intake: Intake = {
      id: uuidv7(),
      workflow: match.workflow,
      trigger,
      hook,
      receivedAt: Date.now(),
      ip: clientIp(hook.remoteAddress, hook.headers['x-forwarded-for'], this.trustProxy),
      headers,
      headersJson: JSON.stringify(headers),
    };
    try {
      return await this.check(intake, match.pathToken);
    } catch (failure) {
      this.logger.error({
        msg: 'delivery could not be stored',
        workflowId: intake.workflow.id,
        deliveryId: intake.id,
        error: (failure as Error).message,
      });
      this.metrics.delivery(intake.workflow.id, 'unavailable');
      return error('STORAGE_UNAVAILABLE', 'the delivery could not be stored; retry later', { 'retry-after': '5' });
    }
  }

  private async check(intake: Intake, pathToken: string | undefined): Promise<HookAnswer> {
    const { trigger, hook } = intake;
    if (!(trigger.methods as string[]).includes(hook.method)) {
      return this.reject(intake, 'METHOD_NOT_ALLOWED', `${hook.method} is not allowed; use ${trigger.methods.join(', ')}`, {
        allow: trigger.methods.join(', '),
      });
    }
    if (trigger.allowIps.length > 0 && !this.allowlist(trigger)(intake.ip)) {
      return this.reject(intake, 'IP_NOT_ALLOWED', `client ${intake.ip} is not in the allowlist`);
    }
    if (trigger.rateLimit) {
      const verdict = await this.limiter.consume(intake.workflow.id, trigger.rateLimit, intake.ip);
      if (!verdict.ok) {
        return this.reject(intake, 'RATE_LIMITED', `more than ${trigger.rateLimit.requests} requests from ${intake.ip}`, {
          'retry-after': String(verdict.retryAfterSeconds),
        });
      }
    }
    const limit = trigger.maxBodyBytes ?? this.config.maxBodyBytes;
    const declared = Number(hook.headers['content-length']);
    const read = await readBody(hook.body, limit, Number.isFinite(declared) ? declared : undefined);
    if (!read.ok) {
      const answer = await this.reject(intake, 'PAYLOAD_TOO_LARGE', `the body is larger than ${limit} bytes`);
      return { ...answer, close: true };
    }
    intake.raw = read.body;
    if (trigger.auth.length > 0) {
      const auth = verifyAuth(trigger.auth, {
        rawBody: read.body,
        headers: hook.headers,
        ...(pathToken !== undefined ? { pathToken } : {}),
        now: intake.receivedAt,
      });
      if (!auth.ok) return this.reject(intake, auth.code, auth.message);
    } else if (pathToken !== undefined) {
      return this.reject(intake, 'WORKFLOW_NOT_FOUND', `no workflow serves /hooks/${hook.path}`);
    }
    const contentType = headerValue(hook.headers['content-type']);
    const parsed = parseBody(contentType, read.body);
    if (!parsed.ok) return this.reject(intake, parsed.code, parsed.message);
    const body = parsed.body;
    if (trigger.schema) {
      const violations = trigger.schema.validate(body);
      if (violations.length > 0) {
        const answer = await this.reject(
          intake,
          'SCHEMA_VIOLATION',
          `the body does not match the schema (${violations.length} violations)`,
        );
        return { ...answer, body: { error: { ...(answer.body.error as object), violations } } };
      }
    }
    const delivery = { body, headers: intake.headers, query: hook.query, method: hook.method, path: hook.path, ip: intake.ip };
    if (trigger.filter) {
      let pass: boolean;
      try {
        pass = isTruthy(await trigger.filter.evaluate(delivery));
      } catch (failure) {
        return this.reject(intake, 'FILTER_FAILED', `filter: ${(failure as Error).message}`);
      }
      if (!pass) {
        await this.deliveries.record(this.record(intake, 200, 'filtered', null, null, null));
        this.observe(intake, 'filtered', 200, null);
        return { status: 200, body: { deliveryId: intake.id, filtered: true } };
      }
    }
    let idempotencyKey: string | null = null;
    if (trigger.idempotencyKey) {
      try {
        const key = await trigger.idempotencyKey.evaluate(delivery);
        idempotencyKey = key === undefined || key === null || key === '' ? null : typeof key === 'string' ? key : JSON.stringify(key);
      } catch (failure) {
        return this.reject(intake, 'IDEMPOTENCY_KEY_FAILED', `idempotencyKey: ${(failure as Error).message}`);
      }
    }
    return this.accept(intake, parsed, idempotencyKey);
  }

  private async accept(intake: Intake, parsed: Parsed, idempotencyKey: string | null): Promise<HookAnswer> {
    const runId = uuidv7();
    const delivery: NewDelivery = { ...this.record(intake, 202, 'accepted', null, null, runId), idempotencyKey };
    const result = await this.deliveries.accept(delivery, {
      id: runId,
      workflowId: intake.workflow.id,
      workflowVersion: intake.workflow.version,
      deliveryId: intake.id,
      triggerType: 'webhook',
      // A JSON body as it came is the body the steps see: the trigger is the delivery's record.
      // Other bodies reach the steps parsed (XML, a form), which the record does not hold.
      trigger: parsed.json !== undefined ? TRIGGER_FROM_DELIVERY : deliveryTrigger(delivery, JSON.stringify(parsed.body) ?? 'null'),
      createdAt: intake.receivedAt,
    });
    this.observe(
      intake,
      result.duplicate ? 'duplicate' : 'accepted',
      result.duplicate ? 200 : 202,
      result.duplicate ? result.runId : runId,
    );
    if (result.duplicate) {
      return { status: 200, body: { deliveryId: intake.id, runId: result.runId, duplicate: true } };
    }
    this.signal.notify();
    return { status: 202, body: { deliveryId: intake.id, runId } };
  }

  private async reject(intake: Intake, code: IngressErrorCode, message: string, headers?: Record<string, string>): Promise<HookAnswer> {
    await this.deliveries.record(this.record(intake, INGRESS_STATUS[code], 'rejected', code, message, null));
    this.observe(intake, 'rejected', INGRESS_STATUS[code], null, code);
    return error(code, message, headers);
  }

  /** Counts a recorded delivery and logs its outcome; rejections at info, the rest at debug (the API lists them all). */
  private observe(intake: Intake, outcome: DeliveryMetricOutcome, status: number, runId: string | null, reason?: string): void {
    this.metrics.delivery(intake.workflow.id, outcome);
    const line = {
      msg: `delivery ${outcome}`,
      deliveryId: intake.id,
      workflowId: intake.workflow.id,
      runId,
      outcome,
      status,
      ...(reason ? { reason } : {}),
    };
    if (outcome === 'rejected') this.logger.log(line);
    else this.logger.debug(line);
  }

  private record(
    intake: Intake,
    status: number,
    outcome: NewDelivery['outcome'],
    reason: string | null,
    message: string | null,
    runId: string | null,
  ): NewDelivery {
    const capped = intake.raw && outcome === 'rejected' ? truncateBody(intake.raw, REJECTED_BODY_CAP) : undefined;
    return {
      id: intake.id,
      workflowId: intake.workflow.id,
      receivedAt: intake.receivedAt,
      method: intake.hook.method,
      path: intake.hook.path,
      query: intake.hook.query,
      headers: intake.headersJson,
      body: capped ? capped.body : intake.raw ? intake.raw.toString('utf8') : null,
      bodyTruncated: capped?.truncated ?? false,
      ip: intake.ip,
      status,
      outcome,
      reason,
      message,
      runId,
      idempotencyKey: null,
    };
  }

  private authHeaderNames(trigger: WebhookTrigger): string[] {
    let names = this.authHeaders.get(trigger);
    if (!names) {
      names = customAuthHeaders(trigger);
      this.authHeaders.set(trigger, names);
    }
    return names;
  }

  private allowlist(trigger: WebhookTrigger): (ip: string) => boolean {
    let allowed = this.allowlists.get(trigger);
    if (!allowed) {
      allowed = compileAllowlist(trigger.allowIps);
      this.allowlists.set(trigger, allowed);
    }
    return allowed;
  }
}

/** Headers that carry a credential under a name of the workflow's choosing, masked like the well-known ones. */
function customAuthHeaders(trigger: WebhookTrigger): string[] {
  return trigger.auth.flatMap((spec) => {
    if (spec.type === 'header') return [spec.header];
    if (spec.type === 'hmac' && spec.preset === 'generic') return [spec.header ?? 'x-signature'];
    return [];
  });
}

function error(code: IngressErrorCode, message: string, headers?: Record<string, string>): HookAnswer {
  return { status: INGRESS_STATUS[code], body: { error: { code, message } }, ...(headers ? { headers } : {}) };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
