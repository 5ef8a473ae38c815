export { clusteredAdapters, embeddedAdapters, type Adapters } from './adapters.js';
export { loadProcessConfig, processEnv, type ProcessConfig } from './process-config.js';
export { runProcess, startProcess, type ProcessMode, type RunningProcess, type RunProcessOptions } from './run-process.js';
export { servePing, type RunningService, type ServiceDeps, type ServiceModule } from './service.js';
export { DEV_USERS_FILE, loadDirectory, normalizeAor, UserDirectory, type UserEntry } from './directory.js';
export { commitAndAnnounce, every, OUTBOX, sweepOutbox, type Announcement, type CommitDeps } from './changes.js';
export { aorOf, conflictReply, header, mediaType, reply, roamingReply } from './sip-request.js';
export { loadPools, type Pools } from './pools.js';
export { checkDeadline, DeadlineExceededError, guardBus, guardStore, Limiter, OVERLOAD_CODES, OverloadedError } from './request-guard.js';
