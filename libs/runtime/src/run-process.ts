import {
  createAdminServer,
  createLogger,
  startRuntimeMetrics,
  startTelemetry,
  type Logger,
  type ReadinessCheck,
} from '@presence/telemetry';
import { pingCommands } from '@presence/bus';
import { loadAdminToken } from './admin-auth.js';
import { registerAdminRoutes } from './admin-routes.js';
import { guardBus, guardStore } from './request-guard.js';
import { StoreEpoch } from './store-epoch.js';
import { clusteredAdapters, embeddedAdapters, type Adapters } from './adapters.js';
import { openDirectory } from './directory-config.js';
import { loadPools } from './pools.js';
import { checkPoolId, loadProcessConfig, type ProcessConfig } from './process-config.js';
import { readLogLevel, reloadOnHangup } from './reload.js';
import { describeStartupFailure } from './startup-failure.js';
import { startHeapTrim } from './heap-trim.js';
import type { RunningService, ServiceModule } from './service.js';

/** The port an HTTP server bound (HTTP_PORT=0 picks one). */
const boundPort = (a: string | { port: number } | null, fallback: number): number => (typeof a === 'object' && a ? a.port : fallback);

export type ProcessMode = 'embedded' | 'clustered';

export interface RunProcessOptions {
  /** Name in logs, traces and metrics: a service name, or `presence` for the embedded process. */
  processName: string;
  mode: ProcessMode;
  services: readonly ServiceModule[];
  env?: NodeJS.ProcessEnv;
  /** Where log lines go (default stdout); tests read them back. */
  logDestination?: NodeJS.WritableStream;
}

/** A running process, for tests that run one in-process instead of spawning it. */
export interface RunningProcess {
  readonly config: ProcessConfig;
  readonly logger: Logger;
  /** The HTTP server's address (its port when HTTP_PORT=0). */
  readonly httpPort: number;
  /** Where the /admin routes are served: ADMIN_HTTP_PORT's listener, else `httpPort`. */
  readonly adminHttpPort: number;
  readonly adapters: Adapters;
  /** The running services, in start order (tests read the edge's ports from them). */
  readonly services: readonly RunningService[];
  /** What SIGHUP does: users file, log level (LOG_LEVEL_FILE), each service's reload. */
  reload(): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * Starts a process: config (validated first), logging, telemetry, the HTTP server (so /healthz
 * answers at once), the bus and store, then the services. Shutdown runs in reverse: /readyz turns
 * 503, services stop and finish in-flight work, the bus drains, the store disconnects.
 */
export async function startProcess(opts: RunProcessOptions): Promise<RunningProcess> {
  const config = loadProcessConfig(opts.env);
  if (opts.mode === 'clustered') checkPoolId(config);
  // A missing file fails start-up like any other (one line naming LOG_LEVEL_FILE).
  const level = readLogLevel(config.LOG_LEVEL_FILE) ?? config.LOG_LEVEL;
  const logger = createLogger({
    level: level as ProcessConfig['LOG_LEVEL'],
    // An embedded process serves every pool: each service's logger names its own pool instead.
    base: { service: opts.processName, ...(opts.mode === 'embedded' ? {} : { pool: config.POOL_ID }), instance: config.instanceId, mode: opts.mode },
    ...(opts.logDestination ? { destination: opts.logDestination } : {}),
  });
  const telemetry = startTelemetry({
    serviceName: opts.processName,
    serviceInstanceId: config.instanceId,
    env: opts.env ?? process.env,
  });
  const runtimeMetrics = startRuntimeMetrics();

  let adapters: Adapters | undefined;
  let running: RunningService[] | undefined;
  const needAdapters = (): Adapters => {
    if (!adapters) throw new Error(opts.mode === 'clustered' ? 'connecting to NATS' : 'starting');
    return adapters;
  };
  const opened = openDirectory({ env: opts.env ?? process.env, mode: opts.mode, domains: config.PRESENCE_DOMAINS, logger });
  const { directory } = opened;
  const pools = loadPools(config, directory, () => adapters?.store);
  // Embedded mode runs every pool's services in this process; a clustered process serves POOL_ID.
  const servedPools = opts.mode === 'embedded' ? pools.all.map((p) => p.id) : [config.POOL_ID];
  const checks: ReadinessCheck[] =
    opts.mode === 'clustered'
      ? [
          { name: 'nats', check: () => needAdapters().bus.check() },
          {
            name: 'redis',
            check: async () => {
              // The store is made with the bus: before NATS answers, Redis is not yet tried (not "down because of NATS").
              if (!adapters) throw new Error('not tried yet: waiting for NATS first');
              await adapters.store.check();
            },
          },
        ]
      : [{ name: 'store', check: () => needAdapters().store.check() }];
  checks.push({
    name: 'services',
    check: async () => {
      if (!running) throw new Error('starting');
      // Embedded: every service answers over the bus. Clustered: this process's own services do.
      const bus = needAdapters().bus;
      await Promise.all(
        servedPools.flatMap((pool) =>
          opts.services.filter((s) => !s.once || pool === servedPools[0]).map((s) => bus.request(pingCommands[s.name], pool, {}, { timeoutMs: 1000 })),
        ),
      );
    },
  });

  const admin = createAdminServer({ logger, checks, prometheus: telemetry.prometheus });
  // Operators' routes: behind a token, on the main HTTP port or on a listener of their own (loopback by default).
  const adminToken = loadAdminToken(config.ADMIN_TOKEN, config.ADMIN_TOKEN_FILE);
  const operator = config.ADMIN_HTTP_PORT === undefined ? undefined : createAdminServer({ logger, checks: [] });
  registerAdminRoutes((operator ?? admin).app, pools, () => needAdapters().bus, adminToken, logger.child({ component: 'admin' }), opened);
  const startedBy = new Map<ServiceModule, RunningService>();
  for (const s of opts.services) s.http?.(admin.app, () => startedBy.get(s));
  await admin.app.listen({ port: config.HTTP_PORT, host: config.HTTP_HOST });
  const httpPort = boundPort(admin.app.server.address(), config.HTTP_PORT);
  await operator?.app.listen({ port: Number(config.ADMIN_HTTP_PORT), host: config.ADMIN_HTTP_HOST });
  const adminHttpPort = operator ? boundPort(operator.app.server.address(), Number(config.ADMIN_HTTP_PORT)) : httpPort;

  adapters = opts.mode === 'clustered' ? await connectLoudly(config, opts.processName, logger) : embeddedAdapters(config);
  // The directory's back end reads its users before any service takes a request (issue 15).
  await opened.start(adapters.store);
  const deps = {
    instanceId: config.instanceId,
    // Services see a bus that bounds their SIP work and a store that refuses writes past a request's deadline.
    bus: guardBus(adapters.bus, { concurrent: config.SERVICE_MAX_CONCURRENT_REQUESTS, queued: config.SERVICE_MAX_QUEUED_REQUESTS }),
    store: guardStore(adapters.store),
    env: opts.env ?? process.env,
    mode: opts.mode,
    pools,
    domains: config.PRESENCE_DOMAINS,
    directory,
  };
  running = [];
  // An edge serves every pool (it routes by home pool), so it starts once; the others once per pool.
  for (const pool of servedPools) {
    for (const s of opts.services) {
      if (s.once && pool !== servedPools[0]) continue;
      const started = await s.start({ ...deps, pool, logger: logger.child({ component: s.name, ...(opts.mode === 'embedded' ? { pool } : {}) }) });
      running.push(started);
      if (!startedBy.has(s)) startedBy.set(s, started);
    }
  }
  // [issue 12 item 7] Every clustered process watches for a store that lost its data and says so
  // loudly; the edge (which runs its own watcher) also makes its clients sign in again.
  const epoch = opts.mode === 'clustered' && !opts.services.some((s) => s.name === 'sip-edge') ? new StoreEpoch(adapters.store, logger, () => undefined) : undefined;
  await epoch?.start(config.STORE_CHECK_MS);
  const heapTrim = startHeapTrim(config.IDLE_HEAP_TRIM_MB, logger);
  admin.setStarted();
  logger.info({ httpPort, services: opts.services.map((s) => s.name), pools: servedPools }, 'started');

  let stopping: Promise<void> | undefined;
  const shutdown = (): Promise<void> =>
    (stopping ??= (async () => {
      admin.setDraining();
      heapTrim.stop();
      epoch?.stop();
      for (const s of [...(running ?? [])].reverse()) await s.stop().catch((e: unknown) => logger.error({ err: e }, 'service stop failed'));
      directory?.close();
      await adapters?.close().catch((e: unknown) => logger.error({ err: e }, 'closing bus/store failed'));
      await admin.app.close();
      await operator?.app.close();
      runtimeMetrics.stop();
      await telemetry.shutdown();
      logger.info('stopped');
    })());
  const services = running;
  const reload = (): Promise<void> =>
    reloadOnHangup({ logger, logLevelFile: config.LOG_LEVEL_FILE, services: () => services });

  return { config, logger, httpPort, adminHttpPort, adapters, services: running, reload, shutdown };
}

/**
 * The `main` of every process: {@link startProcess}, then exit cleanly on SIGTERM/SIGINT within
 * SHUTDOWN_TIMEOUT_MS. A bad environment value stops start-up with one line naming the variable.
 */
export async function runProcess(opts: RunProcessOptions): Promise<void> {
  let proc: RunningProcess;
  try {
    proc = await startProcess(opts);
  } catch (e) {
    // One line naming the variable or resource, exit 2 (a configuration problem: restarting will not help).
    process.stderr.write(`${describeStartupFailure(e, opts.env ?? process.env)}\n`);
    process.exit(2);
  }
  const { logger } = proc;
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection'));
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception; exiting');
    process.exit(1);
  });
  const onSignal = (signal: NodeJS.Signals): void => {
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs: proc.config.SHUTDOWN_TIMEOUT_MS }, 'shutdown took too long; exiting');
      process.exit(1);
    }, proc.config.SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    void proc.shutdown().then(() => process.exit(0));
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  // SIGHUP reloads (the default action would kill the process without draining).
  process.on('SIGHUP', () => void proc.reload());
}

/**
 * Connects NATS and Redis, and while either cannot be reached says so every DEPENDENCY_LOG_MS,
 * naming it and its URL: a process that waits silently looks hung.
 */
async function connectLoudly(config: ProcessConfig, processName: string, logger: Logger): Promise<Adapters> {
  const t0 = Date.now();
  const waitingForNats = setInterval(
    () => logger.warn({ dependency: 'nats', url: config.NATS_URL, waitedMs: Date.now() - t0 }, 'NATS cannot be reached yet; still trying'),
    config.DEPENDENCY_LOG_MS,
  );
  let adapters: Adapters;
  try {
    adapters = await clusteredAdapters(config, processName, logger);
  } finally {
    clearInterval(waitingForNats);
  }
  // Redis reconnects by itself; until it first answers, the same warning names it.
  const store = adapters.store;
  let closed = false;
  void (async () => {
    while (!closed && !(await store.check().then(() => true, () => false))) {
      logger.warn({ dependency: 'redis', url: config.REDIS_URL.replace(/\/\/[^@/]*@/, '//***@'), waitedMs: Date.now() - t0 }, 'Redis cannot be reached yet; still trying');
      await new Promise((r) => setTimeout(r, config.DEPENDENCY_LOG_MS).unref());
    }
  })();
  return {
    ...adapters,
    close: () => {
      closed = true;
      return adapters.close();
    },
  };
}
