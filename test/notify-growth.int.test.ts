import { MemoryBus } from '@presence/bus';
import { poolPattern, type RedisStore } from '@presence/state';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { LyncClient } from './support/lync-client.js';
import { startWorld, type World } from './support/world.js';

// Issue 13: every notification rewrote the dialog (its CSeq) with its expiry, which appended an
// entry to the Redis due index that stayed until the dialog expired (8 h): ~215 B per notification.
// Here many notifications go to the same dialog, and what the server holds must not grow with them.
// Not timed: it counts bytes and records.

const PUBLISH = 'application/msrtc-category-publish+xml';
const BOB = 'sip:bob@contoso.com';
const ALICE = 'sip:alice@contoso.com';
const note = (v: number, text: string) =>
  `<publish xmlns="http://schemas.microsoft.com/2006/09/sip/rich-presence"><publications uri="${BOB}"><publication categoryName="note" instance="0" container="0" version="${v}" expireType="static"><note xmlns="http://schemas.microsoft.com/2006/09/sip/note"><body type="personal" uri="">n${String(v).padStart(5, '0')}</body></note></publication></publications></publish>`;

/** Bytes Redis holds for the pool: every key's MEMORY USAGE (the due index included). */
async function redisBytes(w: World): Promise<number> {
  const redis = (w.store as RedisStore).redis;
  let total = 0;
  for (const k of await redis.keys(poolPattern(w.pool))) total += Number(await redis.memory('USAGE', k, 'SAMPLES', '0'));
  return total;
}

/**
 * What the embedded server keeps in its tables: every record of the users involved, the entries of
 * the due index, and the message ids the in-process bus remembers for de-duplication.
 */
async function tables(w: World, users: readonly string[]): Promise<{ records: number; due: number; ids: number }> {
  let records = 0;
  for (const user of users) for (const c of ['pub', 'ctr', 'wat', 'dia', 'dsub', 'reg', 'obx', 'sbr']) records += await w.store.count({ pool: w.pool, user }, c);
  let due = 0;
  for (const c of ['pub', 'dia', 'reg', 'obx']) due += (await w.store.due(w.pool, c, Number.MAX_SAFE_INTEGER, 1_000_000)).length;
  return { records, due, ids: (w.proc.adapters.bus as MemoryBus).network.rememberedIds };
}

describe.each(['embedded', 'clustered'] as const)('many notifications to the same dialog (%s)', (mode) => {
  let w: World;
  const clients: LyncClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await w.stop();
  });

  it('leave Redis (bytes, due index) and the server tables as they were', async () => {
    // One user publishes as fast as its answers come back: lift the per-user request rate (issue 12),
    // which is not what this test is about.
    w = await startWorld({ mode, natsUrl: inject('natsUrl'), redisUrl: inject('redisUrl'), env: { SIP_USER_REQUESTS_PER_S: '100000', SIP_USER_BURST: '100000' } });
    if (w.proc.adapters.bus instanceof MemoryBus) {
      // The in-process bus remembers each change's message id for its de-duplication window (2 min
      // by default); a short window here lets the measure see past it.
      (w.proc.adapters.bus.network.delivery as { duplicateWindowMs: number }).duplicateWindowMs = 200;
    }
    const bob = await LyncClient.connect(w.ports.tcp, BOB, 'b1');
    const alice = await LyncClient.connect(w.ports.tcp, ALICE, 'a1');
    clients.push(bob, alice);
    await bob.register();
    await alice.register();
    expect((await alice.categorySubscribe([{ uri: BOB }], { categories: ['note'] })).status).toBe(200);
    let v = 0;
    const notifyMany = async (n: number) => {
      for (let i = 0; i < n; i++, v++) {
        expect((await bob.service(PUBLISH, note(v, 'x'))).status).toBe(200);
        const marker = `n${String(v).padStart(5, '0')}`;
        for (;;) if ((await alice.nextNotify(5000)).body.toString().includes(marker)) break;
      }
    };
    await notifyMany(50); // warm-up: every record exists
    await new Promise((r) => setTimeout(r, 300));
    const bytes0 = mode === 'clustered' ? await redisBytes(w) : 0;
    const tables0 = mode === 'embedded' ? await tables(w, [ALICE, BOB]) : undefined;
    const N = 500;
    await notifyMany(N);
    await new Promise((r) => setTimeout(r, 300));
    if (mode === 'clustered') {
      // The dialog's CSeq and the versions gain a digit at most: a few bytes, not ~200 per notification.
      expect(await redisBytes(w)).toBeLessThan(bytes0 + 200);
    }
    if (tables0) {
      // The heap: a heap-snapshot census (bench/README.md) found nothing else kept per notification.
      const after = await tables(w, [ALICE, BOB]);
      expect({ records: after.records, due: after.due }).toEqual({ records: tables0.records, due: tables0.due });
      // Ids of the last window only, not one (or five: every event of a change) per notification.
      expect(after.ids).toBeLessThan(N);
    }
  }, 60_000);
});
