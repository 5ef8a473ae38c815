import { randomUUID } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { aggregation } from '@presence/aggregation';
import { eventStreamName, NatsBus } from '@presence/bus';
import { federation } from '@presence/federation';
import { publication } from '@presence/publication';
import { startProcess, type RunningProcess } from '@presence/runtime';
import type { RunningEdge } from '@presence/sip-edge';
import { sipEdge } from '@presence/sip-edge';
import { poolPattern, RedisStore, type Store } from '@presence/state';
import { subscription } from '@presence/subscription';
import { xmppEdge } from '@presence/xmpp-edge';
import { web } from '@presence/web';

/** The whole server in this test process, embedded (memory) or clustered (real NATS and Redis). */
export interface World {
  readonly mode: 'embedded' | 'clustered';
  readonly pool: string;
  readonly ports: RunningEdge['ports'];
  readonly store: Store;
  readonly proc: RunningProcess;
  stop(): Promise<void>;
}

/** The admin token every test world is started with. */
export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789';
/** Headers for an admin call to a test world. */
export const adminHeaders = { 'content-type': 'application/json', authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

export interface WorldOptions {
  mode: 'embedded' | 'clustered';
  natsUrl?: string;
  redisUrl?: string;
  env?: Record<string, string>;
}

export async function startWorld(o: WorldOptions): Promise<World> {
  const pool = o.env?.POOL_ID ?? `w${randomUUID().slice(0, 8)}`;
  const proc = await startProcess({
    processName: 'presence-test',
    mode: o.mode,
    // The edge last, as in the embedded main: services listen before clients can reach them.
    services: [publication, aggregation, subscription, federation, web, sipEdge, xmppEdge],
    env: {
      HTTP_PORT: '0',
      HTTP_HOST: '127.0.0.1',
      SIP_PORT: '0',
      SIP_TLS_PORT: '0',
      SIP_HOST: '127.0.0.1',
      XMPP_PORT: '0',
      XMPP_HOST: '127.0.0.1',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      POOL_ID: pool,
      INSTANCE_ID: `edge-${pool}`,
      PRESENCE_AUTH: 'none',
      ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      WEB_TOKEN_SECRET: 'test-web-token-secret-0123456789abcdef',
      PRESENCE_SWEEP_MS: '200',
      SUBSCRIBE_MIN_EXPIRES: '60',
      // The test worker's heap holds every test's garbage: an idle trim there would only add pauses
      // between steps (libs/runtime/test/heap-trim.test.ts runs it in a process of its own).
      IDLE_HEAP_TRIM_MB: '0',
      ...(o.natsUrl ? { NATS_URL: o.natsUrl } : {}),
      ...(o.redisUrl ? { REDIS_URL: o.redisUrl } : {}),
      ...(o.mode === 'clustered' ? { PRESENCE_USERS_FILE: 'config/dev-users.json' } : {}),
      ...o.env,
    },
  });
  const edge = proc.services.find((s) => 'ports' in s) as RunningEdge;
  // Redis connects in the background: a busy machine may not have it ready when the test's first request comes.
  for (let until = Date.now() + 10_000; o.mode === 'clustered'; ) {
    const ready = await proc.adapters.store.check().then(() => true, () => false);
    if (ready) break;
    if (Date.now() > until) throw new Error(`Redis at ${o.redisUrl} is not ready after 10 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    mode: o.mode,
    pool,
    ports: edge.ports,
    store: proc.adapters.store,
    proc,
    stop: async () => {
      if (o.mode === 'clustered') {
        const redis = (proc.adapters.store as RedisStore).redis;
        const keys = await redis.keys(poolPattern(pool));
        if (keys.length > 0) await redis.del(...keys);
        const jsm = await jetstreamManager((proc.adapters.bus as NatsBus).nc);
        await jsm.streams.delete(eventStreamName(pool)).catch(() => undefined);
      }
      await proc.shutdown();
    },
  };
}
