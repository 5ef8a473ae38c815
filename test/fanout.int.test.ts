import { getHeader, type SipRequest } from '@presence/sip';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from './support/infra.js';
import { LyncClient } from './support/lync-client.js';
import { startNode, waitForStatus, type Proc } from './support/process.js';
import { startWorld, type World } from './support/world.js';

const PUBLISH = 'application/msrtc-category-publish+xml';
const BOB = 'sip:bob@contoso.com';
const note = (v: number, text: string) =>
  `<publish xmlns="http://schemas.microsoft.com/2006/09/sip/rich-presence"><publications uri="${BOB}"><publication categoryName="note" instance="0" container="0" version="${v}" expireType="static"><note xmlns="http://schemas.microsoft.com/2006/09/sip/note"><body type="personal" uri="">${text}</body></note></publication></publications></publish>`;

describe('fan-out with two subscription-service instances (clustered, real NATS and Redis)', () => {
  let w: World;
  let second: Proc;
  let bob: LyncClient;
  let httpPort: number;
  const watchers: { c: LyncClient; got: { cseq: number; n: number }[] }[] = [];

  beforeAll(async () => {
    w = await startWorld({ mode: 'clustered', natsUrl: inject('natsUrl'), redisUrl: inject('redisUrl') });
    httpPort = await freePort();
    second = startNode('services/subscription/dist/main.js', {
      HTTP_PORT: String(httpPort),
      NATS_URL: inject('natsUrl'),
      REDIS_URL: inject('redisUrl'),
      POOL_ID: w.pool,
      INSTANCE_ID: `sub2-${w.pool}`,
      PRESENCE_USERS_FILE: 'config/dev-users.json',
    });
    await waitForStatus(`http://127.0.0.1:${httpPort}/readyz`, 200, 15_000);
    bob = await LyncClient.connect(w.ports.tcp, BOB, 'b1');
    await bob.register();
    for (let i = 0; i < 50; i++) {
      for (const ep of ['e1', 'e2']) {
        const c = await LyncClient.connect(w.ports.tcp, `sip:w${i}@contoso.com`, ep);
        const got: { cseq: number; n: number }[] = [];
        watchers.push({ c, got });
        expect((await c.categorySubscribe([{ uri: BOB }], { categories: ['note'] })).status).toBe(200);
        c.sip.received.length = 0;
      }
    }
  }, 60_000);

  afterAll(async () => {
    for (const x of watchers) x.c.close();
    bob.close();
    await second.stop('SIGTERM');
    await w.stop();
  });

  async function collect(until: (n: number) => boolean): Promise<void> {
    await Promise.all(
      watchers.map(async (x) => {
        for (;;) {
          const m: SipRequest = await x.c.nextNotify(10_000);
          const n = Number(/>n(\d+)</.exec(m.body.toString())?.[1]);
          x.got.push({ cseq: Number(getHeader(m, 'CSeq')!.split(' ')[0]), n });
          if (until(n)) return;
        }
      }),
    );
  }

  it('delivers each of a series of changes to all 100 dialogs exactly once, in order', async () => {
    for (let k = 0; k < 3; k++) {
      expect((await bob.service(PUBLISH, note(k, `n${k}`))).status).toBe(200);
      await collect((n) => n === k);
    }
    await new Promise((r) => setTimeout(r, 300));
    for (const x of watchers) {
      expect(x.got.map((g) => g.n)).toEqual([0, 1, 2]);
      expect(x.c.pendingNotifies()).toEqual([]);
    }
  });

  it('keeps order under a burst of changes: CSeq and state only go forward, and the last state arrives', async () => {
    for (const x of watchers) x.got.length = 0;
    for (let k = 3; k < 13; k++) expect((await bob.service(PUBLISH, note(k, `n${k}`))).status).toBe(200);
    await collect((n) => n === 12);
    for (const x of watchers) {
      const cseqs = x.got.map((g) => g.cseq);
      const ns = x.got.map((g) => g.n);
      expect(cseqs).toEqual([...cseqs].sort((a, b) => a - b));
      expect(new Set(cseqs).size).toBe(cseqs.length);
      expect(ns).toEqual([...ns].sort((a, b) => a - b));
      expect(ns.at(-1)).toBe(12);
    }
    // The second instance (its own process) took part of the events.
    const metrics = await fetch(`http://127.0.0.1:${httpPort}/metrics`).then((r) => r.text());
    const handled = /^bus_events_handled_total\{[^}]*event="presence-changed"[^}]*outcome="ack"[^}]*\} (\d+)$/m.exec(metrics);
    expect(Number(handled?.[1] ?? 0)).toBeGreaterThan(0);
  });
});
