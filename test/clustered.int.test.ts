import { randomUUID } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { eventStreamName, NatsBus, pingCommands } from '@presence/bus';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { freePort, spawnRedis } from './support/infra.js';
import { LyncClient } from './support/lync-client.js';
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

  it('runs a pool\'s back-end services in one process (services/embedded/dist/pool.js): a publish reaches a watcher through a separate edge', async () => {
    const pool = `t${randomUUID().slice(0, 8)}`;
    const env = { NATS_URL: inject('natsUrl'), REDIS_URL: inject('redisUrl'), POOL_ID: pool, PRESENCE_USERS_FILE: 'config/dev-users.json', PRESENCE_AUTH: 'none' };
    const [poolHttp, edgeHttp, sipPort] = [await freePort(), await freePort(), await freePort()];
    procs.push(startNode('services/embedded/dist/pool.js', { ...env, HTTP_PORT: String(poolHttp), INSTANCE_ID: `pool-${pool}` }));
    procs.push(startNode('services/sip-edge/dist/main.js', { ...env, HTTP_PORT: String(edgeHttp), INSTANCE_ID: `edge-${pool}`, SIP_PORT: String(sipPort), SIP_TLS_PORT: '0', SIP_HOST: '127.0.0.1' }));
    await waitForStatus(`http://127.0.0.1:${poolHttp}/readyz`, 200, 15_000);
    await waitForStatus(`http://127.0.0.1:${edgeHttp}/readyz`, 200, 15_000);

    const client = await NatsBus.connect({ servers: env.NATS_URL, name: 'pool-process-test' });
    cleanups.push(async () => {
      const jsm = await jetstreamManager(client.nc);
      await jsm.streams.delete(eventStreamName(pool)).catch(() => undefined);
      await client.close();
    });
    for (const name of ['publication', 'aggregation', 'subscription', 'federation'] as const) {
      expect(await client.request(pingCommands[name], pool, {})).toMatchObject({ service: name, pool, instance: `pool-${pool}` });
    }

    const bob = await LyncClient.connect(sipPort, 'sip:bob@contoso.com', 'b1');
    const alice = await LyncClient.connect(sipPort, 'sip:alice@contoso.com', 'a1');
    cleanups.push(async () => {
      bob.close();
      alice.close();
    });
    expect((await bob.register()).status).toBe(200);
    expect((await alice.register()).status).toBe(200);
    expect((await alice.categorySubscribe([{ uri: 'sip:bob@contoso.com' }], { categories: ['note'] })).status).toBe(200);
    const publish = `<publish xmlns="http://schemas.microsoft.com/2006/09/sip/rich-presence"><publications uri="sip:bob@contoso.com"><publication categoryName="note" instance="0" container="0" version="0" expireType="static"><note xmlns="http://schemas.microsoft.com/2006/09/sip/note"><body type="personal" uri="">from the pool process</body></note></publication></publications></publish>`;
    expect((await bob.service('application/msrtc-category-publish+xml', publish)).status).toBe(200);
    const notify = await alice.nextNotify(10_000, (m) => m.body.toString().includes('from the pool process'));
    expect(notify.body.toString()).toMatch(/<categories [^>]*uri="sip:bob@contoso.com"><category name="note" instance="0"/);
  });
});
