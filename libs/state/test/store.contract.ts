import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  containers,
  delegates,
  getRecord,
  InvalidChangeError,
  listRecords,
  publications,
  put,
  remove,
  type Change,
  type Partition,
  poolPattern,
  type PublicationRecord,
  type RedisStore,
  type Store,
} from '../src/index.js';

/** One test's world: a fresh pool, and a way to open several store clients (separate connections). */
export interface StoreWorld {
  pool: string;
  newStore(): Promise<Store>;
  cleanup(): Promise<void>;
}

const note = (instance: string, container: number, data: string): PublicationRecord => ({
  categoryName: 'note',
  instance,
  container,
  expireType: 'static',
  publishTime: '2026-11-22T00:00:00Z',
  data,
});

/** The behaviour both stores must show ([MS-PRES] §3.2.5.1.2 version checks, all-or-nothing batches). */
export function storeContract(name: string, makeWorld: () => Promise<StoreWorld>): void {
  describe(`Store contract: ${name}`, () => {
    let world: StoreWorld;
    let store: Store;
    let alice: Partition;
    let bob: Partition;

    beforeEach(async () => {
      world = await makeWorld();
      store = await world.newStore();
      alice = { pool: world.pool, user: 'sip:alice@contoso.com' };
      bob = { pool: world.pool, user: 'sip:bob@contoso.com' };
    });
    afterEach(async () => {
      await world.cleanup();
    });

    describe('versions', () => {
      it('creates with expect 0 at version 1 and reads the record back', async () => {
        const r = await store.apply(alice, [put(publications, note('0', 400, '<note>hi</note>'), { expect: 0 })]);
        expect(r).toEqual({ ok: true, versions: [1] });
        const rec = await getRecord(store, alice, publications, '400:note:0');
        expect(rec).toEqual({ id: '400:note:0', version: 1, value: note('0', 400, '<note>hi</note>') });
      });

      it('updates only with the current version, incrementing it', async () => {
        await store.apply(alice, [put(publications, note('0', 400, 'a'), { expect: 0 })]);
        expect(await store.apply(alice, [put(publications, note('0', 400, 'b'), { expect: 1 })])).toEqual({ ok: true, versions: [2] });
        expect((await getRecord(store, alice, publications, '400:note:0'))?.version).toBe(2);
      });

      it('refuses a stale version with the current record and changes nothing', async () => {
        await store.apply(alice, [put(publications, note('0', 400, 'a'), { expect: 0 })]);
        await store.apply(alice, [put(publications, note('0', 400, 'b'), { expect: 1 })]);
        const r = await store.apply(alice, [put(publications, note('0', 400, 'stale'), { expect: 1 })]);
        expect(r.ok).toBe(false);
        if (r.ok) return;
        expect(r.conflicts).toEqual([
          { index: 0, collection: 'pub', id: '400:note:0', expected: 1, current: { id: '400:note:0', version: 2, value: note('0', 400, 'b') } },
        ]);
        expect((await getRecord(store, alice, publications, '400:note:0'))?.value.data).toBe('b');
      });

      it('refuses to create over an existing record (expect 0) and to update an absent one', async () => {
        await store.apply(alice, [put(publications, note('0', 400, 'a'), { expect: 0 })]);
        const again = await store.apply(alice, [put(publications, note('0', 400, 'x'), { expect: 0 })]);
        expect(again.ok).toBe(false);
        const absent = await store.apply(alice, [put(publications, note('1', 400, 'x'), { expect: 3 })]);
        expect(absent).toEqual({ ok: false, conflicts: [{ index: 0, collection: 'pub', id: '400:note:1', expected: 3, current: undefined }] });
      });

      it('deletes with the current version, after which the record is absent (version 0) and can be created again', async () => {
        await store.apply(alice, [put(publications, note('0', 400, 'a'), { expect: 0 })]);
        expect(await store.apply(alice, [remove(publications, '400:note:0', { expect: 1 })])).toEqual({ ok: true, versions: [0] });
        expect(await getRecord(store, alice, publications, '400:note:0')).toBeUndefined();
        expect(await store.apply(alice, [put(publications, note('0', 400, 'b'), { expect: 0 })])).toEqual({ ok: true, versions: [1] });
      });

      it('applies unconditional changes, still incrementing versions', async () => {
        expect(await store.apply(alice, [put(delegates, { delegates: [] })])).toEqual({ ok: true, versions: [1] });
        expect(await store.apply(alice, [put(delegates, { delegates: [{ uri: 'sip:bob@contoso.com', publish: true, redelegate: false }] })])).toEqual({
          ok: true,
          versions: [2],
        });
        expect(await store.apply(alice, [remove(delegates, 'set'), remove(delegates, 'set-never-existed')])).toEqual({ ok: true, versions: [0, 0] });
      });

      it('keeps values exactly, including unicode, empty arrays and large integers', async () => {
        const value = { s: 'Ünïcødé ✓ <a b="c">&amp;</a>\t\n', empty: [], obj: {}, big: 4294967295, neg: -1, f: 0.5, nul: null };
        await store.apply(alice, [{ op: 'put', collection: 'misc', id: 'weird id:{x}\t', value }]);
        expect((await store.get(alice, 'misc', 'weird id:{x}\t'))?.value).toEqual(value);
      });
    });

    describe('batches are all or nothing', () => {
      it('changes nothing when one of ten changes fails its version check, and names only that one', async () => {
        const seed: Change[] = Array.from({ length: 10 }, (_, i) => put(publications, note(String(i), 400, `v1-${i}`), { expect: 0 }));
        expect((await store.apply(alice, seed)).ok).toBe(true);
        const before = await listRecords(store, alice, publications);
        const batch: Change[] = Array.from({ length: 10 }, (_, i) => put(publications, note(String(i), 400, `v2-${i}`), { expect: i === 6 ? 5 : 1 }));
        const r = await store.apply(alice, batch);
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.conflicts.map((c) => c.index)).toEqual([6]);
        const after = await listRecords(store, alice, publications);
        expect(after.sort((a, b) => a.id.localeCompare(b.id))).toEqual(before.sort((a, b) => a.id.localeCompare(b.id)));
      });

      it('commits a batch over several collections of one user together', async () => {
        const r = await store.apply(alice, [
          put(containers, { id: 200, members: [{ type: 'user', value: 'sip:bob@contoso.com' }] }, { expect: 0 }),
          put(publications, note('0', 200, 'x'), { expect: 0 }),
          put(delegates, { delegates: [] }, { expect: 0 }),
        ]);
        expect(r).toEqual({ ok: true, versions: [1, 1, 1] });
        expect(await listRecords(store, alice, containers)).toHaveLength(1);
      });

      it('refuses a batch that changes one record twice, before touching anything', async () => {
        await expect(
          store.apply(alice, [put(publications, note('0', 400, 'a'), { expect: 0 }), put(publications, note('0', 400, 'b'), { expect: 1 })]),
        ).rejects.toBeInstanceOf(InvalidChangeError);
        expect(await listRecords(store, alice, publications)).toEqual([]);
      });
    });

    describe('many partitions at once (getMany, applyEach)', () => {
      it('reads records of several partitions and collections in the order asked, undefined where absent', async () => {
        await store.apply(alice, [put(publications, note('0', 400, 'a'), { expect: 0 }), put(containers, { id: 200, members: [] }, { expect: 0 })]);
        await store.apply(bob, [put(publications, note('0', 400, 'b'), { expect: 0 })]);
        const got = await store.getMany([
          { partition: bob, collection: publications.name, id: '400:note:0' },
          { partition: alice, collection: containers.name, id: '200' },
          { partition: alice, collection: publications.name, id: '400:note:9' },
          { partition: alice, collection: publications.name, id: '400:note:0' },
          { partition: bob, collection: publications.name, id: '400:note:0' },
        ]);
        expect(got.map((r) => r && [r.id, r.version, (r.value as { data?: string }).data])).toEqual([
          ['400:note:0', 1, 'b'],
          ['200', 1, undefined],
          undefined,
          ['400:note:0', 1, 'a'],
          ['400:note:0', 1, 'b'],
        ]);
        expect(await store.getMany([])).toEqual([]);
      });

      it('applies each partition on its own: a refused one changes nothing and the others are applied', async () => {
        const carol = { pool: world.pool, user: 'sip:carol@contoso.com' };
        await store.apply(bob, [put(publications, note('0', 400, 'b1'), { expect: 0 })]);
        const results = await store.applyEach([
          { partition: alice, changes: [put(publications, note('0', 400, 'a1'), { expect: 0 }), put(containers, { id: 200, members: [] }, { expect: 0 })] },
          { partition: bob, changes: [put(publications, note('0', 400, 'b2'), { expect: 0 }), put(containers, { id: 200, members: [] }, { expect: 0 })] },
          { partition: carol, changes: [] },
          { partition: carol, changes: [put(publications, note('0', 400, 'c1'))] },
        ]);
        expect(results[0]).toEqual({ ok: true, versions: [1, 1] });
        expect(results[1]).toMatchObject({ ok: false, conflicts: [{ index: 0, id: '400:note:0', expected: 0, current: { version: 1 } }] });
        expect(results[2]).toEqual({ ok: true, versions: [] });
        expect(results[3]).toEqual({ ok: true, versions: [1] });
        expect((await getRecord(store, bob, publications, '400:note:0'))?.value.data).toBe('b1');
        expect(await listRecords(store, bob, containers)).toEqual([]);
        expect((await getRecord(store, alice, publications, '400:note:0'))?.value.data).toBe('a1');
        expect((await getRecord(store, carol, publications, '400:note:0'))?.value.data).toBe('c1');
      });

      it('records expiries written through applyEach, and none of a refused partition', async () => {
        await store.apply(bob, [put(publications, note('0', 400, 'b1'), { expect: 0 })]);
        await store.applyEach([
          { partition: alice, changes: [put(publications, note('0', 400, 'a'), { expect: 0, expiresAt: 1000 })] },
          { partition: bob, changes: [put(publications, note('1', 400, 'b'), { expect: 0, expiresAt: 1000 }), put(publications, note('0', 400, 'b2'), { expect: 7 })] },
        ]);
        expect((await store.due(world.pool, publications.name, 2000, 10)).map((d) => d.partition.user)).toEqual([alice.user]);
      });

      it('keeps the order over hundreds of partitions (more than one script on Redis)', async () => {
        const users = Array.from({ length: 600 }, (_, i) => ({ pool: world.pool, user: `sip:u${i}@contoso.com` }));
        const results = await store.applyEach(users.map((partition, i) => ({ partition, changes: [put(publications, note('0', 400, `d${i}`), { expect: i % 7 === 3 ? 5 : 0 })] })));
        expect(results.map((r) => r.ok)).toEqual(users.map((_, i) => i % 7 !== 3));
        const got = await store.getMany(users.map((partition) => ({ partition, collection: publications.name, id: '400:note:0' })));
        expect(got.map((r) => (r ? (r.value as PublicationRecord).data : undefined))).toEqual(users.map((_, i) => (i % 7 === 3 ? undefined : `d${i}`)));
      });

      it('refuses an invalid partition change before applying any', async () => {
        await expect(
          store.applyEach([
            { partition: alice, changes: [put(publications, note('0', 400, 'a'), { expect: 0 })] },
            { partition: bob, changes: [put(publications, note('0', 400, 'a')), remove(publications, '400:note:0')] },
          ]),
        ).rejects.toBeInstanceOf(InvalidChangeError);
        expect(await listRecords(store, alice, publications)).toEqual([]);
      });
    });

    describe('partitions', () => {
      it('counts the records of a collection', async () => {
        expect(await store.count(alice, 'pub')).toBe(0);
        await store.apply(alice, [put(publications, note('0', 400, 'a')), put(publications, note('1', 400, 'b'))]);
        expect(await store.count(alice, 'pub')).toBe(2);
        expect(await store.count(bob, 'pub')).toBe(0);
      });

      it('keeps users apart', async () => {
        await store.apply(alice, [put(publications, note('0', 400, 'alice'), { expect: 0 })]);
        await store.apply(bob, [put(publications, note('0', 400, 'bob'), { expect: 0 })]);
        expect((await getRecord(store, alice, publications, '400:note:0'))?.value.data).toBe('alice');
        expect((await getRecord(store, bob, publications, '400:note:0'))?.value.data).toBe('bob');
      });

      it('keeps pools apart', async () => {
        const elsewhere = { pool: `${world.pool}-b`, user: alice.user };
        await store.apply(alice, [put(publications, note('0', 400, 'here'), { expect: 0 })]);
        expect(await listRecords(store, elsewhere, publications)).toEqual([]);
      });

      it('takes user URIs with characters that are special in keys', async () => {
        const odd = { pool: world.pool, user: 'sip:{odd}:%user%@contoso.com' };
        await store.apply(odd, [put(publications, note('0', 400, 'odd'), { expect: 0 })]);
        expect((await getRecord(store, odd, publications, '400:note:0'))?.value.data).toBe('odd');
        expect(await listRecords(store, alice, publications)).toEqual([]);
      });
    });

    describe('concurrency', () => {
      it('lets exactly one of 50 clients win a compare-and-set on the same record', async () => {
        await store.apply(alice, [put(publications, note('0', 400, 'start'), { expect: 0 })]);
        const clients = await Promise.all(Array.from({ length: 50 }, () => world.newStore()));
        const results = await Promise.all(
          clients.map((c, i) => c.apply(alice, [put(publications, note('0', 400, `writer-${i}`), { expect: 1 })])),
        );
        const winners = results.flatMap((r, i) => (r.ok ? [i] : []));
        expect(winners).toHaveLength(1);
        const rec = await getRecord(store, alice, publications, '400:note:0');
        expect(rec?.version).toBe(2);
        expect(rec?.value.data).toBe(`writer-${winners[0]}`);
        for (const r of results) if (!r.ok) expect(r.conflicts[0]?.current?.version).toBe(2);
      });

      it('serializes many concurrent increments without losing one', async () => {
        const clients = await Promise.all(Array.from({ length: 10 }, () => world.newStore()));
        // Each client retries its compare-and-set until it wins: the final version counts every win.
        await Promise.all(
          clients.map(async (c) => {
            for (let k = 0; k < 5; k++) {
              for (;;) {
                const cur = await c.get(alice, 'counter', 'n');
                const r = await c.apply(alice, [{ op: 'put', collection: 'counter', id: 'n', value: ((cur?.value as number) ?? 0) + 1, expect: cur?.version ?? 0 }]);
                if (r.ok) break;
              }
            }
          }),
        );
        const final = await store.get(alice, 'counter', 'n');
        expect(final?.value).toBe(50);
        expect(final?.version).toBe(50);
      });
    });

    describe('expiry', () => {
      it('reports a record as due once its time has passed, oldest first', async () => {
        const now = Date.now();
        await store.apply(alice, [
          put(publications, note('1', 400, 'later'), { expect: 0, expiresAt: now + 2000 }),
          put(publications, note('2', 400, 'soon'), { expect: 0, expiresAt: now + 1000 }),
          put(publications, note('3', 400, 'forever'), { expect: 0 }),
        ]);
        expect(await store.due(world.pool, 'pub', now, 10)).toEqual([]);
        const due = await store.due(world.pool, 'pub', now + 2500, 10);
        expect(due.map((d) => d.record.id)).toEqual(['400:note:2', '400:note:1']);
        expect(due[0]).toEqual({
          partition: alice,
          collection: 'pub',
          record: { id: '400:note:2', version: 1, value: note('2', 400, 'soon'), expiresAt: now + 1000 },
        });
      });

      it('follows refreshes: a record rewritten with a later time is not due at the old one', async () => {
        const now = Date.now();
        await store.apply(alice, [put(publications, note('1', 400, 'x'), { expect: 0, expiresAt: now + 1000 })]);
        await store.apply(alice, [put(publications, note('1', 400, 'x'), { expect: 1, expiresAt: now + 60_000 })]);
        expect(await store.due(world.pool, 'pub', now + 2000, 10)).toEqual([]);
        expect((await store.due(world.pool, 'pub', now + 61_000, 10)).map((d) => d.record.version)).toEqual([2]);
      });

      it('forgets removed records and records rewritten without expiry', async () => {
        const now = Date.now();
        await store.apply(alice, [
          put(publications, note('1', 400, 'x'), { expect: 0, expiresAt: now + 1000 }),
          put(publications, note('2', 400, 'y'), { expect: 0, expiresAt: now + 1000 }),
        ]);
        await store.apply(alice, [remove(publications, '400:note:1', { expect: 1 }), put(publications, note('2', 400, 'y'), { expect: 1 })]);
        expect(await store.due(world.pool, 'pub', now + 5000, 10)).toEqual([]);
      });

      it('keeps the expiry of a record rewritten with keepExpiry, and none for a record that had none', async () => {
        const now = Date.now();
        await store.apply(alice, [put(publications, note('1', 400, 'x'), { expect: 0, expiresAt: now + 1000 }), put(publications, note('2', 400, 'y'), { expect: 0 })]);
        for (let v = 1; v <= 3; v++) {
          const r = await store.apply(alice, [put(publications, note('1', 400, `x${v}`), { expect: v, keepExpiry: true }), put(publications, note('2', 400, `y${v}`), { expect: v, keepExpiry: true })]);
          expect(r).toEqual({ ok: true, versions: [v + 1, v + 1] });
        }
        expect(await store.get(alice, 'pub', '400:note:1')).toEqual({ id: '400:note:1', version: 4, value: note('1', 400, 'x3'), expiresAt: now + 1000 });
        expect(await store.get(alice, 'pub', '400:note:2')).toEqual({ id: '400:note:2', version: 4, value: note('2', 400, 'y3') });
        expect((await store.due(world.pool, 'pub', now + 2000, 10)).map((d) => [d.record.id, d.record.version])).toEqual([['400:note:1', 4]]);
      });

      it('refuses keepExpiry together with expiresAt', async () => {
        await expect(store.apply(alice, [put(publications, note('1', 400, 'x'), { keepExpiry: true, expiresAt: Date.now() })])).rejects.toThrow(/keepExpiry/);
      });

      it('does not report a failed change as due', async () => {
        const now = Date.now();
        await store.apply(alice, [put(publications, note('1', 400, 'x'), { expect: 0 })]);
        const r = await store.apply(alice, [put(publications, note('1', 400, 'x'), { expect: 7, expiresAt: now + 10 })]);
        expect(r.ok).toBe(false);
        expect(await store.due(world.pool, 'pub', now + 5000, 10)).toEqual([]);
      });

      it('keeps the due records of each collection apart', async () => {
        const now = Date.now();
        await store.apply(alice, [
          put(publications, note('1', 400, 'x'), { expect: 0, expiresAt: now }),
          { op: 'put', collection: 'reg', id: 'ep1', value: {}, expiresAt: now },
        ]);
        expect((await store.due(world.pool, 'pub', now, 10)).map((d) => d.collection)).toEqual(['pub']);
        expect((await store.due(world.pool, 'reg', now, 10)).map((d) => d.record.id)).toEqual(['ep1']);
      });

      it('limits how many due records one call returns', async () => {
        const now = Date.now();
        for (let i = 0; i < 5; i++) {
          await store.apply({ pool: world.pool, user: `sip:u${i}@contoso.com` }, [put(publications, note('0', 400, 'x'), { expect: 0, expiresAt: now + i })]);
        }
        expect(await store.due(world.pool, 'pub', now + 10, 3)).toHaveLength(3);
        expect(await store.due(world.pool, 'pub', now + 10, 10)).toHaveLength(5);
      });
    });

    it('answers a readiness check', async () => {
      await expect(store.check()).resolves.toBeUndefined();
    });
  });
}

/**
 * The contract's world on a Redis deployment: stores from `open`, a fresh pool per test, and the
 * pool's keys (and its `-b` twin's) deleted after it with `deleteKeys` (default: KEYS on the first
 * store's connection, which sees every key of a single instance or a Sentinel master).
 */
export function redisStoreWorld(
  open: () => Promise<RedisStore>,
  o: { deleteKeys?: (store: RedisStore, pattern: string) => Promise<void>; closeAfter?: boolean } = {},
): () => Promise<StoreWorld> {
  const deleteKeys =
    o.deleteKeys ??
    (async (store: RedisStore, pattern: string) => {
      const keys = await store.redis.keys(pattern);
      if (keys.length > 0) await store.redis.del(...keys);
    });
  return async () => {
    const pool = `t${randomUUID().slice(0, 8)}`;
    const stores: RedisStore[] = [];
    return {
      pool,
      newStore: async () => {
        const s = await open();
        stores.push(s);
        return s;
      },
      cleanup: async () => {
        for (const pattern of [poolPattern(pool), poolPattern(`${pool}-b`)]) await deleteKeys(stores[0]!, pattern);
        if (o.closeAfter) await Promise.all(stores.map((s) => s.close()));
      },
    };
  };
}
