import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadWorkflowSource } from './workflow.loader.js';
import { compilePlan, planOf } from './workflow.plan.js';
import type { HttpStep, TransformStep } from './workflow.types.js';

const SOURCE = `id: notify
secrets: [CHAT_TOKEN]
trigger:
  webhook: { path: notify, schema: { type: object } }
steps:
  - id: summary
    type: transform
    expression: '{ "order": trigger.body.id, "units": $sum(trigger.body.items.qty) }'
  - id: post
    name: Tell the team
    type: http
    if: steps.summary.units > 1
    method: PUT
    url: "https://chat.example/{{steps.summary.order}}"
    headers: { Authorization: "Bearer {{secrets.CHAT_TOKEN}}" }
    json: '{ "text": "order " & steps.summary.order }'
    timeout: 5s
    retry: { attempts: 4, delay: 200ms, maxDelay: 2s }
`;

describe('workflow plans', () => {
  const loaded = loadWorkflowSource('notify.yaml', SOURCE, { CHAT_TOKEN: 'secret-1' }).workflow!;

  it('carry what a run needs as plain data that survives a structured clone', () => {
    const plan = planOf(loaded);
    assert.deepEqual(structuredClone(plan), plan);
    assert.equal(plan.version, loaded.version);
    assert.deepEqual(plan.secrets, { CHAT_TOKEN: 'secret-1' });
    assert.deepEqual(
      plan.steps.map((step) => [step.id, step.type, step.if]),
      [
        ['summary', 'transform', undefined],
        ['post', 'http', 'steps.summary.units > 1'],
      ],
    );
  });

  it('compile to steps that behave as the loaded ones', async () => {
    const compiled = compilePlan(structuredClone(planOf(loaded)));
    const context = {
      trigger: { body: { id: 'ord_1', items: [{ qty: 2 }, { qty: 3 }] } },
      steps: { summary: { order: 'ord_1', units: 5 } },
      secrets: { CHAT_TOKEN: 'secret-1' },
    };
    const [summary, post] = compiled.steps as [TransformStep, HttpStep];
    const [loadedSummary, loadedPost] = loaded.steps as [TransformStep, HttpStep];
    assert.deepEqual(await summary.expression.evaluate(context), await loadedSummary.expression.evaluate(context));
    assert.equal(await post.if!.evaluate(context), true);
    assert.equal(post.name, 'Tell the team');
    assert.equal(post.method, 'PUT');
    assert.equal(post.url.render(context), loadedPost.url.render(context));
    assert.deepEqual(
      post.headers.map((header) => [header.name, header.value.render(context)]),
      [['Authorization', 'Bearer secret-1']],
    );
    assert.equal(JSON.stringify(await post.json!.evaluate(context)), '{"text":"order ord_1"}');
    assert.equal(post.timeoutMs, 5000);
    assert.deepEqual(post.retry, loadedPost.retry);
    assert.equal(compiled.id, 'notify');
    assert.equal(compiled.version, loaded.version);
  });
});
