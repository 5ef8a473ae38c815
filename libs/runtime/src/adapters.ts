import { MemoryBus, MemoryNetwork, NatsBus, type Bus } from '@presence/bus';
import { MemoryStore, RedisStore, type Store } from '@presence/state';
import { traceRedis, type Logger } from '@presence/telemetry';
import type { ProcessConfig } from './process-config.js';

/** The bus and store a process runs on, and the readiness check of each. */
export interface Adapters {
  readonly bus: Bus;
  readonly store: Store;
  close(): Promise<void>;
}

/** Embedded mode: the in-process bus and in-memory state. Nothing to install. */
export function embeddedAdapters(config: ProcessConfig): Adapters {
  const bus = new MemoryBus(new MemoryNetwork({ ackWaitMs: config.EVENT_ACK_WAIT_MS }), {
    requestTimeoutMs: config.BUS_REQUEST_TIMEOUT_MS,
  });
  return adaptersOf(bus, new MemoryStore());
}

/** Shutdown order: the bus drains first (in-flight handlers may still write), then the store closes. */
function adaptersOf(bus: Bus, store: Store): Adapters {
  return {
    bus,
    store,
    close: async () => {
      await bus.close();
      await store.close();
    },
  };
}

/**
 * Clustered mode: NATS and Redis. Redis reconnects by itself; NATS is awaited here (retrying until
 * it answers), while the HTTP server already answers /healthz and /readyz says what is missing.
 */
export async function clusteredAdapters(config: ProcessConfig, processName: string, logger: Logger): Promise<Adapters> {
  const store = RedisStore.create({
    url: config.REDIS_URL,
    clusterNodes: config.REDIS_CLUSTER_NODES,
    sentinels: config.REDIS_SENTINELS,
    ...(config.REDIS_SENTINEL_MASTER !== undefined ? { sentinelMaster: config.REDIS_SENTINEL_MASTER } : {}),
    waitReplicas: config.REDIS_WAIT_REPLICAS,
    waitTimeoutMs: config.REDIS_WAIT_TIMEOUT_MS,
    name: `${processName}-${config.instanceId}`,
  });
  traceRedis(store.redis); // Redis CLIENT spans (a Cluster's own commands too); one check per command when no spans are recorded
  const bus = await NatsBus.connect({
    servers: config.NATS_URL,
    name: `${processName}-${config.instanceId}`,
    requestTimeoutMs: config.BUS_REQUEST_TIMEOUT_MS,
    ackWaitMs: config.EVENT_ACK_WAIT_MS,
    ...(config.JETSTREAM_REPLICAS !== undefined ? { streamReplicas: Number(config.JETSTREAM_REPLICAS) } : {}),
    onStatus: (status) => logger.info({ status }, 'nats connection status'),
    onDeadLetter: (event, consumer, msgId, error) =>
      logger.error({ event, consumer, msgId, err: error }, 'event given up after the maximum number of deliveries'),
  });
  return adaptersOf(bus, store);
}
