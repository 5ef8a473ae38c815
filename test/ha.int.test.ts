import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { eventStreamName, NatsBus } from '@presence/bus';
import { getRecord, publications, RedisStore } from '@presence/state';
import { getHeader } from '@presence/sip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './support/infra.js';
import { LyncClient } from './support/lync-client.js';
import { startNatsCluster, type NatsClusterHandle } from './support/nats-cluster.js';
import { startNode, waitForStatus, type Proc } from './support/process.js';
import { startRedisCluster, type RedisClusterHandle } from './support/redis-cluster.js';
import { resubscribeAcrossPools } from './pools.suite.js';

/**
 * High availability: the whole server, one process per service and pool plus two edges, on a Redis
 * Cluster of 3 masters + 3 replicas and a 3-node NATS cluster (both started here from the Debian
 * binaries, once for the file). The pools end-to-end case runs on them; then, under a steady
 * publish/notify load from SIP clients over TCP, one Redis master and (separately) one NATS node are
 * killed with -9: no acknowledged publication may be lost and every watcher must get the latest state.
 */
/** Between one client's publications: 20 clients make about 60 publications/s, all watched. */
const PAUSE_MS = Number(process.env.HA_PAUSE_MS ?? 300);

describe('high availability: Redis Cluster (3+3) and a 3-node NATS cluster', () => {
  const id = randomUUID().slice(0, 6);
  const poolA = `ha${id}`;
  const poolB = `hb${id}`;
  const loadUsers = Array.from({ length: 20 }, (_, i) => `h${i}`);
  const users = ['alice', 'bob', 'carol', 'john', ...loadUsers];
  const homeOf = (u: string) => (['alice', 'bob'].includes(u) || (u.startsWith('h') && Number(u.slice(1)) % 2 === 0) ? poolA : poolB);
  const procs: { name: string; pool: string; proc: Proc }[] = [];
  const edges: number[] = [];
  let redis: RedisClusterHandle;
  let nats: NatsClusterHandle;
  let dir = '';

  beforeAll(async () => {
    [redis, nats] = await Promise.all([startRedisCluster(), startNatsCluster()]);
    dir = mkdtempSync(join(tmpdir(), 'ha-'));
    const usersFile = join(dir, 'users.json');
    writeFileSync(usersFile, JSON.stringify({ users: users.map((u) => ({ uri: `sip:${u}@contoso.com`, password: `${u}-pw`, displayName: u, pool: homeOf(u) })) }));
    const env = {
      NATS_URL: nats.url,
      REDIS_CLUSTER_NODES: redis.nodesEnv,
      PRESENCE_POOLS: `${poolA},${poolB}`,
      PRESENCE_USERS_FILE: usersFile,
      PRESENCE_AUTH: 'none',
      EVENT_ACK_WAIT_MS: '3000',
      BUS_REQUEST_TIMEOUT_MS: '3000',
      PRESENCE_SWEEP_MS: '200',
      SUBSCRIBE_MIN_EXPIRES: '60',
    };
    const starts: Promise<unknown>[] = [];
    const start = async (name: string, pool: string, extra: Record<string, string> = {}) => {
      const http = await freePort();
      const proc = startNode(`services/${name}/dist/main.js`, { ...env, POOL_ID: pool, HTTP_PORT: String(http), INSTANCE_ID: `${name}-${pool}`, ...extra });
      procs.push({ name, pool, proc });
      starts.push(waitForStatus(`http://127.0.0.1:${http}/readyz`, 200, 60_000));
    };
    for (const pool of [poolA, poolB]) for (const name of ['publication', 'subscription', 'aggregation', 'federation']) await start(name, pool);
    for (const n of [1, 2]) {
      const sip = await freePort();
      edges.push(sip);
      await start('sip-edge', poolA, { SIP_PORT: String(sip), SIP_TLS_PORT: '0', INSTANCE_ID: `sip-edge-${n}` });
    }
    await Promise.all(starts);
  }, 120_000);

  afterAll(async () => {
    // HA_DEBUG=1: each process's log, to see what a failure looked like from inside.
    if (process.env.HA_DEBUG) for (const p of procs) process.stdout.write(`--- ${p.name} ${p.pool}\n${p.proc.output().slice(-20000)}\n`);
    await Promise.all(procs.map((p) => p.proc.stop('SIGKILL')));
    await Promise.all([redis?.stop(), nats?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  // The first events on just-created R3 streams can take seconds under a loaded CI (one run: > 5 s).
  resubscribeAcrossPools(() => ({ edges, poolA, poolB, gruuB: `sip:${poolB}.contoso.com@contoso.com;gruu;opaque=srvr:HomeServer:${poolB}` }), 20_000);

  const note = (user: string, version: number, text: string) =>
    `<publish xmlns="http://schemas.microsoft.com/2006/09/sip/rich-presence"><publications uri="${user}"><publication categoryName="note" instance="0" container="0" version="${version}" expireType="static"><note xmlns="http://schemas.microsoft.com/2006/09/sip/note"><body type="personal" uri="">${text}</body></note></publication></publications></publish>`;

  /**
   * Kills one node with `crash` while the load runs, then checks what was acknowledged. Each client
   * publishes a new note as soon as the last one was answered; a 503 or a lost answer is retried as
   * clients do (a 409 means the write had committed: take the current version).
   */
  async function underLoad(what: string, crash: () => Promise<void>): Promise<void> {
    const clients = await Promise.all(loadUsers.map((u, i) => LyncClient.connect(edges[i % 2]!, `sip:${u}@contoso.com`, `${what}${i}`)));
    const version = new Map<string, number>();
    const committed = new Map<string, string>();
    const lastOk = new Map<string, number>();
    const watched = (i: number) => `sip:${loadUsers[(i + 2) % loadUsers.length]}@contoso.com`;
    const publish = async (c: LyncClient, text: string, deadline: number): Promise<void> => {
      for (;;) {
        if (Date.now() > deadline) throw new Error(`${c.user} could not publish ${text} in time`);
        const v = version.get(c.user) ?? 0;
        const res = await c.service('application/msrtc-category-publish+xml', note(c.user, v, text)).catch(() => undefined);
        if (res?.status === 200) {
          version.set(c.user, v + 1);
          committed.set(c.user, text);
          lastOk.set(c.user, Date.now());
          return;
        }
        if (res?.status === 409) {
          version.set(c.user, Number(/curVersion="(\d+)"/.exec(res.body.toString())?.[1] ?? v));
          continue;
        }
        if (res) expect([503, 500]).toContain(res.status);
        await new Promise((x) => setTimeout(x, 100));
      }
    };
    // Each watcher answers every NOTIFY at once (as a client does) and keeps the last note it was told.
    const seen = new Map<string, string>();
    let listening = true;
    const listen = (c: LyncClient, i: number) =>
      (async () => {
        while (listening) {
          const m = await c.nextNotify(500).catch(() => undefined);
          const body = m?.body.toString() ?? '';
          if (m && (getHeader(m, 'Event') ?? '') === 'presence' && body.includes(watched(i))) {
            const text = new RegExp(`>(${what}-(?:\\d+|final))<`).exec(body)?.[1];
            if (text) seen.set(c.user, text);
          }
        }
      })();
    const listeners: Promise<void>[] = [];
    try {
      // The first REGISTERs of a pool create its replicated stream; one may meet a 503 meanwhile.
      const register = async (c: LyncClient) => {
        for (let i = 0; ; i++) {
          const ok = await c.register().then(() => true, (e: unknown) => (i === 20 ? Promise.reject(e) : false));
          if (ok) return;
          await new Promise((x) => setTimeout(x, 250));
        }
      };
      await Promise.all(clients.map(register));
      await Promise.all(clients.map((c, i) => c.categorySubscribe([{ uri: watched(i) }], { categories: ['note'] }).then((r) => expect(r.status).toBe(200))));
      clients.forEach((c, i) => listeners.push(listen(c, i)));
      let running = true;
      let round = 0;
      const load = Promise.all(
        clients.map(async (c) => {
          for (let r = 0; running; r++) {
            await publish(c, `${what}-${r}`, Date.now() + 60_000);
            round = Math.max(round, r);
            await new Promise((x) => setTimeout(x, PAUSE_MS));
          }
        }),
      );
      await new Promise((x) => setTimeout(x, 1500));
      const killedAt = Date.now();
      await crash();
      // Recovered once every client had a publication acknowledged after the kill.
      while ([...clients].some((c) => (lastOk.get(c.user) ?? 0) < killedAt) && Date.now() - killedAt < 60_000) await new Promise((x) => setTimeout(x, 20));
      const recoveryMs = Math.max(...clients.map((c) => (lastOk.get(c.user) ?? Infinity) - killedAt));
      await new Promise((x) => setTimeout(x, 1500));
      running = false;
      await load;
      // The latest state: one more publication each, after the load.
      await Promise.all(clients.map((c) => publish(c, `${what}-final`, Date.now() + 30_000)));

      // Every acknowledged publication is in the store: the last one of each user, at its version.
      const store = RedisStore.create({ clusterNodes: redis.nodesEnv.split(',') });
      await store.ready();
      try {
        for (const c of clients) {
          const rec = await getRecord(store, { pool: homeOf(c.user.slice(4).split('@')[0]!), user: c.user }, publications, '0:note:0');
          expect(rec?.value.data).toContain(`>${committed.get(c.user)}<`);
          expect(rec?.version).toBe(version.get(c.user));
        }
      } finally {
        await store.close();
      }
      // Every watcher is told the latest state of the user it watches.
      const end = Date.now() + 20_000;
      const behind = () => clients.map((c, i) => [c.user, watched(i), seen.get(c.user)] as const).filter(([, , last]) => last !== `${what}-final`);
      while (behind().length > 0 && Date.now() < end) await new Promise((x) => setTimeout(x, 100));
      expect(behind()).toEqual([]);
      process.stdout.write(`ha: ${what}: every client publishing again ${recoveryMs} ms after the kill (${round + 1} rounds under load)\n`);
      expect(recoveryMs).toBeLessThan(30_000);
    } finally {
      listening = false;
      await Promise.all(listeners);
      for (const c of clients) c.close();
    }
  }

  it('loses no acknowledged publication when a Redis master is killed (-9); its replica takes over; watchers get the latest state', async () => {
    const masters = await redis.masters();
    await underLoad('redis', async () => {
      await redis.crash(masters[0]!);
    });
    // The crashed node comes back (as a supervisor restarts it) and rejoins as a replica.
    await redis.restart(masters[0]!);
    await redis.waitHealthy(30_000, masters[0]!);
  }, 180_000);

  it('loses no acknowledged publication when the NATS node leading pool A’s stream is killed (-9); watchers get the latest state', async () => {
    const admin = await NatsBus.connect({ servers: nats.url, name: 'ha-admin' });
    const jsm = await jetstreamManager(admin.nc);
    const leader = (await jsm.streams.info(eventStreamName(poolA))).cluster!.leader!;
    await admin.close();
    const victim = nats.nodes.findIndex((n) => n.name === leader);
    expect(victim).toBeGreaterThanOrEqual(0);
    await underLoad('nats', async () => {
      await nats.crash(victim);
    });
  }, 180_000);
});
