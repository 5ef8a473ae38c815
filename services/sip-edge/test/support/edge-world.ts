import { MemoryBus, MemoryNetwork } from '@presence/bus';
import { loadPools, loadProcessConfig, UserDirectory, type ServiceDeps } from '@presence/runtime';
import { MemoryStore } from '@presence/state';
import { createLogger, type Logger } from '@presence/telemetry';
import { DEV_USERS_FILE, startEdge, type RunningEdge } from '../../src/index.js';

export interface EdgeWorld {
  edge: RunningEdge;
  bus: MemoryBus;
  store: MemoryStore;
  deps: ServiceDeps;
  stop(): Promise<void>;
}

/** An edge on ephemeral loopback ports over the in-process bus and store. */
export async function startEdgeWorld(
  env: Record<string, string> = {},
  o: { store?: MemoryStore; logger?: Logger; instanceId?: string } = {},
): Promise<EdgeWorld> {
  const bus = new MemoryBus(new MemoryNetwork({ ackWaitMs: 2000 }), { requestTimeoutMs: 1000 });
  const store = o.store ?? new MemoryStore();
  const directory = UserDirectory.fromFile(DEV_USERS_FILE);
  const deps: ServiceDeps = {
    pool: 'pool1',
    pools: loadPools(loadProcessConfig({}), directory),
    domains: ['contoso.com'],
    directory,
    instanceId: o.instanceId ?? 'edge-test',
    bus,
    store,
    logger: o.logger ?? createLogger({ level: 'silent', base: {} }),
    env: { SIP_PORT: '0', SIP_TLS_PORT: '0', SIP_HOST: '127.0.0.1', PRESENCE_USERS_FILE: DEV_USERS_FILE, BUS_REQUEST_TIMEOUT_MS: '1000', ...env },
    mode: 'embedded',
  };
  const edge = await startEdge(deps);
  return {
    edge,
    bus,
    store,
    deps,
    stop: async () => {
      await edge.stop();
      await bus.close();
    },
  };
}
