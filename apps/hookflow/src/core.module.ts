/**
 * What every feature module shares: the configuration and the served workflows. The
 * registry is loaded, and its versions stored, before the app takes any request.
 */
import { Global, Logger, Module, type DynamicModule } from '@nestjs/common';
import { API_TOKENS } from '#libs/api';
import { HookflowConfig } from '#libs/config';
import { WorkflowVersionRepository } from '#libs/store';
import { loadWorkflows } from '#libs/runner';
import { WorkflowRegistry } from '#libs/workflow';
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
          await loadWorkflows(registry, versions, new Logger('Workflows'));
          return registry;
        },
        inject: [WorkflowVersionRepository],
      },
      {
        provide: API_TOKENS,
        useFactory: () =>
          config.servesWeb ? resolveApiTokens(config.apiTokens, config.dataDir, (line) => process.stdout.write(`${line}\n`)) : [],
      },
    ];
    return { module: CoreModule, providers, exports: providers.map((provider) => provider.provide) };
  }
}
