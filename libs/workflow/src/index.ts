export * from './workflow.types.js';
export { parseDuration, parseSize } from './duration.js';
export { compileAllowlist, parseIpAddress, type IpAddress } from './ip-allowlist.js';
export { compileExpression, ExpressionError, type ExpressionLimits } from './jsonata.expression.js';
export { compileTemplate, TemplateError } from './handlebars.template.js';
export {
  loadWorkflowSource,
  workflowVersion,
  DEFAULT_RETRY,
  DEFAULT_HTTP_TIMEOUT_MS,
  type LoadedFile,
  type Environment,
} from './workflow.loader.js';
export { WorkflowRegistry, listWorkflowFiles, type WorkflowStatus } from './workflow.registry.js';
export { planOf, compilePlan, type RunnableWorkflow, type WorkflowPlan, type StepPlan } from './workflow.plan.js';
