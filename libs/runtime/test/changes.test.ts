import type { MemoryBus } from '@presence/bus';
import type { Store } from '@presence/state';
import { describe, expect, it } from 'vitest';
import { commitAndAnnounce, OUTBOX, sweepOutbox } from '../src/changes.js';
import { logger, world } from './announcements.js';

const p = { pool: 'p1', user: 'sip:alice@contoso.com' };
const change = { op: 'put' as const, collection: 'pub', id: 'note', value: { text: 'hi' } };

const settle = () => new Promise((r) => setTimeout(r, 20));

describe('commitAndAnnounce (transactional outbox)', () => {
  it('commits the change, announces it once, and then empties the outbox', async () => {
    const { bus, store, heard } = await world();
    const r = await commitAndAnnounce({ store, bus, pool: 'p1', logger }, p, [change], { categories: [{ name: 'note', container: 200 }] });
    expect(r).toEqual({ ok: true, versions: [1] });
    await settle();
    expect((await store.get(p, 'pub', 'note'))?.value).toEqual({ text: 'hi' });
    expect(heard.map((e) => e.user)).toEqual([p.user]);
    expect(await store.list(p, OUTBOX)).toEqual([]);
  });

  it('announces a change that can trigger aggregation to the aggregation service too, and no other ([MS-PRES] §3.8)', async () => {
    const { bus, store, heard, due } = await world();
    const d = { store, bus, pool: 'p1', logger };
    await commitAndAnnounce(d, p, [change], { categories: [{ name: 'note', container: 200 }] });
    await commitAndAnnounce(d, p, [{ ...change, id: 'cal' }], { categories: [{ name: 'calendarData', container: 300 }] });
    await commitAndAnnounce(d, p, [{ ...change, id: 'state' }], { categories: [{ name: 'state', container: 2 }] });
    await commitAndAnnounce(d, p, [{ ...change, id: 'cal1' }], { categories: [{ name: 'calendarData', container: 1 }] });
    await settle();
    expect(heard.map((e) => e.categories![0]!.name)).toEqual(['note', 'calendarData', 'state', 'calendarData']);
    expect(due.map((e) => e.categories![0])).toEqual([{ name: 'state', container: 2 }, { name: 'calendarData', container: 1 }]);
  });

  it('leaves a committed change whose announcement failed to the sweeper, which announces it and empties the outbox', async () => {
    const { bus, store, heard, due } = await world();
    const failing = { ...bus, publish: async () => Promise.reject(new Error('bus down')) } as unknown as MemoryBus;
    const now = Date.now();
    const r = await commitAndAnnounce({ store, bus: failing, pool: 'p1', logger, now: () => now }, p, [change], { categories: [{ name: 'state', container: 2 }] });
    expect(r.ok).toBe(true);
    expect(await store.list(p, OUTBOX)).toHaveLength(1);
    expect(await sweepOutbox({ store, bus, pool: 'p1', logger, now: () => now + 10_000 })).toBe(1);
    await settle();
    expect(heard).toHaveLength(1);
    expect(due).toHaveLength(1); // a state change: aggregation-due as well
    expect(await store.list(p, OUTBOX)).toEqual([]);
  });

  it('announces nothing and writes nothing when the commit conflicts', async () => {
    const { bus, store, heard } = await world();
    await store.apply(p, [change]);
    const r = await commitAndAnnounce({ store: store as Store, bus, pool: 'p1', logger }, p, [{ ...change, expect: 0 }], { categories: [] });
    expect(r.ok).toBe(false);
    await settle();
    expect(heard).toEqual([]);
    expect(await store.list(p, OUTBOX)).toEqual([]);
  });
});
