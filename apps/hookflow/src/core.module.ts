/**
 * What every feature module shares: the configuration and the served workflows. The
 * registry is loaded, and its versions stored, before the app takes any request.
 */
import { Global, Logger, Module, type DynamicModule } from '@nestjs/common';
import { API_TOKENS } from '#libs/api';
import { HookflowConfig } from '#libs/config';
import { WorkflowVersionRepository } from '#libs/store';
import { formatWorkflowError, WorkflowRegistry } from '#libs/workflow';
import { resolveApiTokens } from './api-token.js';

@Global()
@Module({})
export class CoreModule {
  static forRoot(config: HookflowConfig): DynamicModule {
    const providers = [
      { provide: HookflowConfig, useValue: config },
      {
        provide: WorkflowRegistry,
        useFactory: async (versions: WorkflowVersionRepository) => {
          const registry = new WorkflowRegistry(config.workflowsDir, process.env);
          await loadWorkflows(registry, versions);
          return registry;
        },
        inject: [WorkflowVersionRepository],
      },
      {
        provide: API_TOKENS,
        useFactory: () => (config.servesWeb ? resolveApiTokens(config.apiTokens, config.dataDir, (line) => process.stdout.write(`${line}\n`)) : []),
      },
    ];
    return { module: CoreModule, providers, exports: providers.map((provider) => provider.provide) };
  }
}

const logger = new Logger('Workflows');

export async function loadWorkflows(registry: WorkflowRegistry, versions: WorkflowVersionRepository): Promise<void> {
  const statuses = await registry.load();
  const serving = statuses.flatMap((status) => (status.workflow ? [status.workflow] : []));
  await versions.save(
    serving.map((workflow) => ({ workflowId: workflow.id, version: workflow.version, file: workflow.file, source: workflow.source })),
    Date.now(),
  );
  for (const status of statuses) {
    if (status.status === 'invalid') {
      for (const error of status.errors) logger.error({ msg: 'invalid workflow', workflowId: status.id, error: formatWorkflowError(error) });
    }
  }
  logger.log({ msg: 'workflows loaded', dir: registry.dir, active: statuses.filter((s) => s.status === 'active').length, invalid: statuses.filter((s) => s.status === 'invalid').length });
}
