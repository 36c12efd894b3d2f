/**
 * The OpenAPI document of the HTTP surface, served at `/docs` (Swagger UI) and `/docs-json`.
 * Webhook intake is one catch-all route in code, so its operation is written here by hand.
 */
import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { ERROR_SCHEMA } from './openapi.schemas.js';

export function setupOpenApi(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Hookflow')
    .setDescription(
      'Webhook intake (`/hooks/<path>`), the inspection and control API (`/api`, bearer token: HOOKFLOW_API_TOKEN), ' +
        'health and Prometheus metrics. Errors are `{ "error": { "code", "message" } }`.',
    )
    .setVersion('1')
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'opaque token',
      description: 'a token from HOOKFLOW_API_TOKEN (or data/api-token)',
    })
    .build();
  const document = SwaggerModule.createDocument(app, config);
  document.paths['/hooks/{path}'] = { post: hookOperation() };
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json', yamlDocumentUrl: 'docs-yaml' });
  return document;
}

function hookOperation(): NonNullable<OpenAPIObject['paths'][string]['post']> {
  const error = (description: string) => ({ description, content: { 'application/json': { schema: ERROR_SCHEMA } } });
  return {
    tags: ['hooks'],
    summary: 'Deliver a webhook to the workflow serving <path>',
    description:
      "Checked in this order: path, method (the workflow's `methods`, POST by default), IP allowlist, rate limit, body size, " +
      'authentication, content type, parsing, schema, filter, idempotency key. With `auth: token` the secret is the last ' +
      'path segment (`/hooks/<path>/<token>`). The answer never waits for the steps.',
    parameters: [
      {
        name: 'path',
        in: 'path',
        required: true,
        description: "the workflow's `trigger.webhook.path` (may contain `/`)",
        schema: { type: 'string' },
      },
    ],
    requestBody: {
      required: false,
      content: {
        'application/json': { schema: { type: 'object' } },
        'application/x-www-form-urlencoded': { schema: { type: 'object' } },
        'application/xml': { schema: { type: 'string' } },
        'text/plain': { schema: { type: 'string' } },
      },
    },
    responses: {
      '202': {
        description: 'accepted: the delivery and its queued run are stored',
        content: {
          'application/json': { schema: { type: 'object', properties: { deliveryId: { type: 'string' }, runId: { type: 'string' } } } },
        },
      },
      '200': {
        description: 'filtered (no run) or a duplicate idempotency key (the first run)',
        content: {
          'application/json': {
            schema: {
              type: 'object',
              properties: {
                deliveryId: { type: 'string' },
                runId: { type: 'string' },
                filtered: { type: 'boolean' },
                duplicate: { type: 'boolean' },
              },
            },
          },
        },
      },
      '400': error('the body does not parse'),
      '401': error('authentication failed'),
      '403': error('client IP outside allowIps'),
      '404': error('no workflow has that path'),
      '405': error('method not allowed (see Allow)'),
      '413': error('body larger than the limit'),
      '415': error('content type not JSON, XML, form or text'),
      '422': error('the body fails the schema; `error.violations` lists every violation'),
      '429': error('over the rate limit (see Retry-After)'),
      '503': error('storage unavailable; retry later'),
    },
  };
}
