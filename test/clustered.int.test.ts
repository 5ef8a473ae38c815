import { randomUUID } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { eventStreamName, NatsBus, pingCommands } from '@presence/bus';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { freePort, spawnRedis } from './support/infra.js';
import { startNode, waitForStatus, type Proc } from './support/process.js';

describe('clustered mode (one process per service, real NATS and Redis)', () => {
  const procs: Proc[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => p.stop('SIGKILL')));
    for (const c of cleanups.splice(0)) await c();
  });

  it('is ready with NATS and Redis up, 503 within 5 s of Redis going away, 200 again when it returns', async () => {
    const redis = await spawnRedis();
    cleanups.push(() => redis.stop());
    const port = await freePort();
    const proc = startNode('services/publication/dist/main.js', {
      HTTP_PORT: String(port),
      NATS_URL: inject('natsUrl'),
      REDIS_URL: redis.url,
      POOL_ID: `t${randomUUID().slice(0, 8)}`,
    });
    procs.push(proc);
    const readyz = `http://127.0.0.1:${port}/readyz`;
    await waitForStatus(readyz, 200, 10_000);

    await redis.stop();
    const downMs = await waitForStatus(readyz, 503, 5000);
    expect(downMs).toBeLessThan(5000);
    const body = (await fetch(readyz).then((r) => r.json())) as { checks: Record<string, string> };
    expect(body.checks.nats).toBe('up');
    expect(body.checks.redis).toMatch(/^down/);

    const again = await spawnRedis(redis.port);
    cleanups.push(() => again.stop());
    await waitForStatus(readyz, 200, 10_000);
    expect(proc.child.exitCode).toBeNull(); // recovered without a restart
  });

  it('runs each service as its own process; instances of one service share the work (queue group)', async () => {
    const pool = `t${randomUUID().slice(0, 8)}`;
    const env = { NATS_URL: inject('natsUrl'), REDIS_URL: inject('redisUrl'), POOL_ID: pool, PRESENCE_USERS_FILE: 'config/dev-users.json' };
    const services = ['sip-edge', 'publication', 'aggregation', 'subscription', 'federation'] as const;
    const started: { name: string; port: number; instance: string }[] = [];
    for (const name of [...services, 'publication']) {
      const port = await freePort();
      const instance = `${name}-${started.length}`;
      procs.push(startNode(`services/${name}/dist/main.js`, { ...env, HTTP_PORT: String(port), INSTANCE_ID: instance }));
      started.push({ name, port, instance });
    }
    for (const s of started) await waitForStatus(`http://127.0.0.1:${s.port}/readyz`, 200, 15_000);

    const client = await NatsBus.connect({ servers: env.NATS_URL, name: 'clustered-test' });
    cleanups.push(async () => {
      const jsm = await jetstreamManager(client.nc);
      await jsm.streams.delete(eventStreamName(pool)).catch(() => undefined);
      await client.close();
    });
    for (const name of services) {
      const reply = await client.request(pingCommands[name], pool, {});
      expect(reply).toMatchObject({ service: name, pool });
    }
    const answered = new Map<string, number>();
    for (let i = 0; i < 40; i++) {
      const r = await client.request(pingCommands.publication, pool, {});
      answered.set(r.instance, (answered.get(r.instance) ?? 0) + 1);
    }
    expect([...answered.keys()].sort()).toEqual(['publication-1', 'publication-5']);
    expect([...answered.values()].reduce((a, b) => a + b)).toBe(40);
  });
});
