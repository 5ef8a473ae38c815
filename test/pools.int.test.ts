import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { eventStreamName, NatsBus } from '@presence/bus';
import { getRecord, poolPattern, publications, RedisStore } from '@presence/state';
import { getHeader } from '@presence/sip';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from './support/infra.js';
import { LyncClient } from './support/lync-client.js';
import { startNode, waitForStatus, type Proc } from './support/process.js';
import { resubscribeAcrossPools } from './pools.suite.js';

/**
 * The cluster as operators run it: two pools, two edges and two instances of every service per
 * pool, each its own process, on real NATS and Redis.
 */
describe('clustered: two pools, two edges, two instances of each service', () => {
  const id = randomUUID().slice(0, 6);
  const poolA = `pa${id}`;
  const poolB = `pb${id}`;
  const users = ['alice', 'bob', 'carol', 'john', ...Array.from({ length: 100 }, (_, i) => `u${i}`)];
  const homeOf = (u: string) => (['alice', 'bob'].includes(u) || (u.startsWith('u') && Number(u.slice(1)) % 2 === 0) ? poolA : poolB);
  const procs: { name: string; pool: string; proc: Proc }[] = [];
  const edges: number[] = [];
  let env: Record<string, string>;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pools-'));
    const usersFile = join(dir, 'users.json');
    writeFileSync(usersFile, JSON.stringify({ users: users.map((u) => ({ uri: `sip:${u}@contoso.com`, password: `${u}-pw`, displayName: u, pool: homeOf(u) })) }));
    env = {
      NATS_URL: inject('natsUrl'),
      REDIS_URL: inject('redisUrl'),
      PRESENCE_POOLS: `${poolA},${poolB}`,
      PRESENCE_USERS_FILE: usersFile,
      PRESENCE_AUTH: 'none',
      EVENT_ACK_WAIT_MS: '2000',
      BUS_REQUEST_TIMEOUT_MS: '2000',
      PRESENCE_SWEEP_MS: '200',
      SUBSCRIBE_MIN_EXPIRES: '60',
    };
    const starts: Promise<void>[] = [];
    const start = async (name: string, pool: string, n: number, extra: Record<string, string> = {}) => {
      const http = await freePort();
      const proc = startNode(`services/${name}/dist/main.js`, { ...env, ...extra, POOL_ID: pool, HTTP_PORT: String(http), INSTANCE_ID: `${name}-${pool}-${n}` });
      procs.push({ name, pool, proc });
      starts.push(waitForStatus(`http://127.0.0.1:${http}/readyz`, 200, 45_000).then(() => undefined));
    };
    for (const pool of [poolA, poolB]) {
      for (const name of ['publication', 'subscription', 'aggregation', 'federation']) for (const n of [1, 2]) await start(name, pool, n);
    }
    for (const n of [1, 2]) {
      const sip = await freePort();
      edges.push(sip);
      await start('sip-edge', poolA, n, { SIP_PORT: String(sip), SIP_TLS_PORT: '0' });
    }
    await Promise.all(starts);
  }, 90_000);

  afterAll(async () => {
    await Promise.all(procs.map((p) => p.proc.stop('SIGKILL')));
    const store = RedisStore.create({ url: inject('redisUrl') });
    await store.ready();
    for (const pool of [poolA, poolB]) {
      const keys = await store.redis.keys(poolPattern(pool));
      for (let i = 0; i < keys.length; i += 500) await store.redis.del(...keys.slice(i, i + 500));
    }
    await store.close();
    const bus = await NatsBus.connect({ servers: inject('natsUrl'), name: 'pools-cleanup' });
    const jsm = await jetstreamManager(bus.nc);
    for (const pool of [poolA, poolB]) await jsm.streams.delete(eventStreamName(pool)).catch(() => undefined);
    await bus.close();
  });

  resubscribeAcrossPools(() => ({
    edges,
    poolA,
    poolB,
    gruuB: `sip:${poolB}.contoso.com@contoso.com;gruu;opaque=srvr:HomeServer:${poolB}`,
  }));

  it('loses nothing committed when one instance of each service is killed (-9) while 100 users publish and watch', async () => {
    const note = (user: string, version: number, text: string) =>
      `<publish xmlns="http://schemas.microsoft.com/2006/09/sip/rich-presence"><publications uri="${user}"><publication categoryName="note" instance="0" container="0" version="${version}" expireType="static"><note xmlns="http://schemas.microsoft.com/2006/09/sip/note"><body type="personal" uri="">${text}</body></note></publication></publications></publish>`;
    const names = users.filter((u) => u.startsWith('u'));
    const clients = await Promise.all(names.map((u, i) => LyncClient.connect(edges[i % 2]!, `sip:${u}@contoso.com`, `e${i}`)));
    const version = new Map<string, number>();
    const committed = new Map<string, string>();
    try {
      await Promise.all(clients.map((c) => c.register()));
      // Each user watches the next user of the same pool (u0 -> u2, u1 -> u3, ...).
      const watched = (i: number) => `sip:${names[(i + 2) % names.length]}@contoso.com`;
      await Promise.all(clients.map((c, i) => c.categorySubscribe([{ uri: watched(i) }], { categories: ['note'] }).then((r) => expect(r.status).toBe(200))));
      for (const c of clients) c.sip.received.length = 0;

      // Publishes a round; a 503 (the instance that had the request died) is retried, as clients do.
      const round = async (r: number) =>
        Promise.all(
          clients.map(async (c) => {
            for (let attempt = 0; attempt < 10; attempt++) {
              const v = version.get(c.user) ?? 0;
              const res = await c.service('application/msrtc-category-publish+xml', note(c.user, v, `r${r}`));
              if (res.status === 200) {
                version.set(c.user, v + 1);
                committed.set(c.user, `r${r}`);
                return;
              }
              if (res.status === 409) {
                // The request committed but its answer was lost with the instance: take the current version.
                version.set(c.user, Number(/curVersion="(\d+)"/.exec(res.body.toString())?.[1] ?? v));
                continue;
              }
              expect([503, 500]).toContain(res.status);
              await new Promise((x) => setTimeout(x, 200));
            }
            throw new Error(`${c.user} could not publish round ${r}`);
          }),
        );
      await round(0);
      await round(1);
      // One instance of each service in each pool dies mid-round; its peers take over.
      const killed = [poolA, poolB].flatMap((pool) => ['publication', 'subscription', 'aggregation', 'federation'].map((name) => procs.find((p) => p.pool === pool && p.name === name)!));
      const kills = round(2);
      for (const k of killed) k.proc.child.kill('SIGKILL');
      await kills;
      for (let r = 3; r < 6; r++) await round(r);

      // Every committed publication is in the store.
      const store = RedisStore.create({ url: inject('redisUrl') });
      await store.ready();
      try {
        for (const c of clients) {
          const rec = await getRecord(store, { pool: homeOf(c.user.slice(4).split('@')[0]!), user: c.user }, publications, '0:note:0');
          expect(rec?.value.data).toContain(`>${committed.get(c.user)}<`);
        }
      } finally {
        await store.close();
      }
      // Every live dialog receives the changes made after the kill: the last round of its publisher.
      let delivered = 0;
      await Promise.all(
        clients.map(async (c, i) => {
          const publisher = watched(i);
          const last = committed.get(publisher);
          const got = await c.nextNotify(15_000, (m) => m.body.toString().includes(`>${last}<`) && (getHeader(m, 'Event') ?? '') === 'presence').catch(() => undefined);
          if (got) delivered++;
          else process.stdout.write(`MISSING ${c.user} watching ${publisher} last=${last} seen=${JSON.stringify(c.sip.received.map((m) => (m.type === 'request' ? `${m.method} ${getHeader(m, 'CSeq')} ${/>(r\d)</.exec(m.body.toString())?.[1]}` : m.status)))}\n`);
        }),
      );
      expect(delivered).toBe(100);
    } finally {
      for (const c of clients) c.close();
    }
  }, 120_000);
  it('resumes dialogs after their edge dies (-9): the client re-registers at the other edge and refreshes them', async () => {
    const gruuB = `sip:${poolB}.contoso.com@contoso.com;gruu;opaque=srvr:HomeServer:${poolB}`;
    const note = (v: number, text: string) =>
      `<publish xmlns="http://schemas.microsoft.com/2006/09/sip/rich-presence"><publications uri="sip:john@contoso.com"><publication categoryName="note" instance="0" container="0" version="${v}" expireType="static"><note xmlns="http://schemas.microsoft.com/2006/09/sip/note"><body type="personal" uri="">${text}</body></note></publication></publications></publish>`;
    const bob = await LyncClient.connect(edges[1]!, 'sip:bob@contoso.com', 'fb');
    const bobDesk = await LyncClient.connect(edges[0]!, 'sip:bob@contoso.com', 'fb2');
    const john = await LyncClient.connect(edges[0]!, 'sip:john@contoso.com', 'fj');
    let back: LyncClient | undefined;
    try {
      await bob.register();
      await bobDesk.register();
      await john.register();
      expect((await bob.selfSubscribe()).status).toBe(200);
      expect((await john.service('application/msrtc-category-publish+xml', note(0, 'before'))).status).toBe(200);
      expect((await bob.categorySubscribe([{ uri: 'sip:john@contoso.com' }], { categories: ['note'], requestUri: gruuB })).status).toBe(200);

      procs.filter((p) => p.name === 'sip-edge')[1]!.proc.child.kill('SIGKILL'); // the edge on edges[1]
      bob.close();
      // A change while bob has no edge: its notification cannot be delivered, the dialog stays.
      expect((await john.service('application/msrtc-category-publish+xml', note(1, 'while away'))).status).toBe(200);
      // So does one on bob's self dialog (bob's other endpoint publishes).
      const own = `<publish xmlns="http://schemas.microsoft.com/2006/09/sip/rich-presence"><publications uri="sip:bob@contoso.com"><publication categoryName="note" instance="4242" container="0" version="0" expireType="static"><note xmlns="http://schemas.microsoft.com/2006/09/sip/note"><body type="personal" uri="">desk note</body></note></publication></publications></publish>`;
      expect((await bobDesk.service('application/msrtc-category-publish+xml', own)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 1000));

      back = await LyncClient.connect(edges[0]!, 'sip:bob@contoso.com', 'fb');
      back.cseq = 1000; // later than anything sent on the dialog from the old connection
      await back.register();
      back.selfDialog = bob.selfDialog;
      const self = await back.selfSubscribe();
      expect(self.status).toBe(200);
      expect(getHeader(self, 'Call-ID')).toBe(bob.selfDialog!.callId);
      expect(self.body.toString()).toContain('desk note');
      back.categoryDialog = bob.categoryDialog;
      const refresh = await back.categorySubscribe([{ uri: 'sip:john@contoso.com' }], { categories: ['note'], requestUri: gruuB, inDialog: true });
      expect(refresh.status).toBe(200);
      // The refresh brings the current state (what bob missed), then changes flow on the same dialog.
      const seen = refresh.body.toString().includes('while away') || (await back.nextNotify(5000, (m) => m.body.toString().includes('while away')).then(() => true));
      expect(seen).toBe(true);
      expect((await john.service('application/msrtc-category-publish+xml', note(2, 'after failover'))).status).toBe(200);
      const after = await back.nextNotify(5000, (m) => m.body.toString().includes('after failover'));
      expect(getHeader(after, 'Call-ID')).toBe(bob.categoryDialog!.callId);
    } finally {
      bob.close();
      bobDesk.close();
      john.close();
      back?.close();
    }
  }, 60_000);
});
