import { pingCommands, type Bus, type ServiceName } from '@presence/bus';
import type { Store } from '@presence/state';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '@presence/telemetry';
import type { UserDirectory } from './directory.js';
import type { Pools } from './pools.js';

/** What a service gets from the process that runs it. The same in embedded and clustered mode. */
export interface ServiceDeps {
  readonly pool: string;
  readonly instanceId: string;
  readonly bus: Bus;
  readonly store: Store;
  readonly logger: Logger;
  /** The environment, for a service's own settings (read and validated in its `start`). */
  readonly env: NodeJS.ProcessEnv;
  /** embedded: one process with every service; clustered: this service alone against NATS and Redis. */
  readonly mode: 'embedded' | 'clustered';
  /** The deployment's pools; `pool` is the one this instance serves. */
  readonly pools: Pools;
  /** The SIP domains served. */
  readonly domains: readonly string[];
  /** The user directory (PRESENCE_USERS_FILE, or the development accounts in embedded mode). */
  readonly directory: UserDirectory | undefined;
}

export interface RunningService {
  /** Stops taking work and finishes what is in flight. */
  stop(): Promise<void>;
  /** SIGHUP: re-reads what the service can change without dropping connections (e.g. the edge's TLS certificate). */
  reload?(): Promise<void> | void;
}

/** A service: a name and a `start`, run by {@link runProcess} alone or together with the others. */
export interface ServiceModule {
  readonly name: ServiceName;
  start(deps: ServiceDeps): Promise<RunningService>;
  /**
   * Started once per process (in the first served pool) instead of once per pool: services that
   * face clients and route by home pool themselves (the edges, the web service).
   */
  readonly once?: boolean;
  /**
   * Routes this service serves on the process's HTTP port (HTTP_PORT, beside /healthz). Called
   * before the port listens, since fastify takes no routes after that; `running()` is what this
   * service's `start` returned, undefined until it has run (routes should answer 503 then).
   */
  readonly http?: (app: FastifyInstance, running: () => RunningService | undefined) => void;
}

/** Answers `<service>.ping` for the pool: proves over the bus that an instance is subscribed and serving. */
export async function servePing(name: ServiceName, deps: ServiceDeps): Promise<RunningService> {
  const sub = await deps.bus.handle(pingCommands[name], deps.pool, () => ({ service: name, instance: deps.instanceId, pool: deps.pool }));
  return { stop: () => sub.stop() };
}
