// The payload and workflow files the bench uses.
import { createHmac } from 'node:crypto';

/** A ~500-byte JSON webhook: an order event as a shop would send it. */
export const PAYLOAD = JSON.stringify({
  id: 'evt_01JD7Q8K2M3N4P5Q6R7S8T9V0W',
  type: 'order.paid',
  created: 1764200000,
  livemode: false,
  data: {
    order: {
      id: 'ord_104233',
      status: 'paid',
      currency: 'EUR',
      total: 129.9,
      customer: { id: 'cus_7741', email: 'ada.lovelace@example.com', country: 'DE' },
      items: [
        { sku: 'SKU-RED-42', name: 'Red mug', qty: 2, price: 19.95 },
        { sku: 'SKU-BLU-07', name: 'Blue teapot', qty: 1, price: 90 },
      ],
      shipping: { method: 'standard', address: { city: 'Berlin', postcode: '10115', line1: 'Invalidenstr. 117' } },
    },
  },
  request: { id: 'req_9f8e7d6c5b4a' },
});

/**
 * Every bench workflow checks a GitHub-style signature (HMAC-SHA256 of the body, in
 * `X-Hub-Signature-256`), so the numbers include the signature check a real webhook needs.
 * The secret reaches Hookflow as an environment variable, as a user's would.
 */
export const SECRET_ENV = { BENCH_WEBHOOK_SECRET: 'bench-secret-8c1f0e4d2b7a9365' };
export const SIGNATURE_HEADERS = {
  'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET_ENV.BENCH_WEBHOOK_SECRET).update(PAYLOAD).digest('hex')}`,
};

const AUTH = `
    auth: { type: hmac, preset: github, secret: "{{secrets.BENCH_WEBHOOK_SECRET}}" }`;

const SCHEMA = `
    schema:
      type: object
      required: [id, type, data]
      properties:
        id: { type: string }
        type: { type: string }
        data: { type: object, required: [order] }`;

/** Intake: a signature, a schema and one cheap transform, so runs cost little next to the intake itself. */
export function intakeWorkflow(id) {
  return `id: ${id}
secrets: [BENCH_WEBHOOK_SECRET]
trigger:
  webhook:
    path: bench/${id}${AUTH}${SCHEMA}
steps:
  - id: record
    type: transform
    expression: '{ "event": trigger.body.id, "type": trigger.body.type }'
`;
}

/** End to end: a transform, a step gated by \`if\`, and an HTTP POST to the bench receiver. */
export function endToEndWorkflow(id, receiverUrl) {
  return `id: ${id}
secrets: [BENCH_WEBHOOK_SECRET]
trigger:
  webhook:
    path: bench/${id}${AUTH}${SCHEMA}
steps:
  - id: summary
    type: transform
    expression: |
      { "order": trigger.body.data.order.id, "total": trigger.body.data.order.total, "units": $sum(trigger.body.data.order.items.qty) }
  - id: priority
    type: transform
    if: steps.summary.total > 100
    expression: '{ "level": "high", "order": steps.summary.order }'
  - id: notify
    type: http
    method: POST
    url: ${receiverUrl}/receive
    headers: { X-Source: "hookflow/{{run.workflowId}}" }
    json: '{ "order": steps.summary.order, "units": steps.summary.units, "priority": steps.priority.level }'
    timeout: 5s
    retry: { attempts: 5, delay: 200ms, maxDelay: 2s }
`;
}
