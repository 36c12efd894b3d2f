export { HookflowConfig, loadConfig, ConfigError, type Role } from './hookflow.config.js';
