export { clusteredAdapters, embeddedAdapters, type Adapters } from './adapters.js';
export { loadProcessConfig, processEnv, type ProcessConfig } from './process-config.js';
export { runProcess, startProcess, type ProcessMode, type RunningProcess, type RunProcessOptions } from './run-process.js';
export { servePing, type RunningService, type ServiceDeps, type ServiceModule } from './service.js';
