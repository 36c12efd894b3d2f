export { MetricsModule } from './metrics.module.js';
export { Metrics, type DeliveryMetricOutcome, type RunMetricStatus, type StepMetricStatus } from './metrics.service.js';
