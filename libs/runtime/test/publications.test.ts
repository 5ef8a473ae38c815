import { buildPidfMachineState } from '@presence/documents';
import { planAggregation, withAggregation } from '@presence/presence';
import { publications, put, type MemoryStore, type PublicationRecord } from '@presence/state';
import { expect, it } from 'vitest';
import { commitAndAnnounce } from '../src/changes.js';
import { commitWithAggregation, readPublications, type PublicationsSnapshot } from '../src/publications.js';
import { world } from './announcements.js';

const p = { pool: 'p1', user: 'sip:bob@contoso.com' };
const STATE = [{ container: 2, name: 'state' }];
const now = new Date('2026-12-01T04:00:00Z');


/** Endpoint `instance`'s machine state ([MS-PRES] §2.2.2.7.1) put over what `snap` holds. */
function machineState(snap: PublicationsSnapshot, instance: string, availability: number) {
  const rec: PublicationRecord = { categoryName: 'state', instance, container: 2, expireType: 'endpoint', publishTime: now.toISOString(), data: buildPidfMachineState(availability) };
  return put(publications, rec, { expect: snap.records.find((r) => r.id === `2:state:${instance}`)?.version ?? 0 });
}

/** The aggregated availability a container-200 watcher sees (§3.8). */
const aggregated = async (store: MemoryStore) => /<availability>(\d+)</.exec((await readPublications(store, p)).records.find((r) => r.id === '200:state:1')?.value.data ?? '')?.[1];

it('two endpoints’ changes planned on the same data: the second fails and is planned again, so the computed state is that of both (§3.8); no aggregation-due', async () => {
  const { d, store, heard, due } = await world();
  for (const instance of ['2001', '2002']) {
    const snap = await readPublications(store, p);
    expect((await commitWithAggregation(d, p, snap, [machineState(snap, instance, 3500)], STATE, { now })).result.ok).toBe(true);
  }
  expect(await aggregated(store)).toBe('3500');

  // Both go Away from the same read. Each alone leaves the aggregate (the most available) at 3500.
  const seen = await readPublications(store, p);
  const a = await commitWithAggregation(d, p, seen, [machineState(seen, '2001', 15500)], STATE, { now });
  expect(a.result.ok).toBe(true);
  const b = await commitWithAggregation(d, p, seen, [machineState(seen, '2002', 15500)], STATE, { now });
  expect(b.result.ok).toBe(false);
  // Not the client's own change that conflicted: the caller plans again rather than answering 409.
  expect(!b.result.ok && b.result.conflicts.every((c) => c.index >= b.clientChanges)).toBe(true);
  const again = await readPublications(store, p);
  expect((await commitWithAggregation(d, p, again, [machineState(again, '2002', 15500)], STATE, { now })).result.ok).toBe(true);

  expect(await aggregated(store)).toBe('15500');
  expect(planAggregation((await readPublications(store, p)).records, STATE, now).changes).toEqual([]);
  await new Promise((r) => setTimeout(r, 20));
  expect(heard).toHaveLength(4);
  expect(heard.every((e) => e.aggregated === true)).toBe(true);
  expect(due).toEqual([]);
});

it('without the generation, the same interleaving leaves the computed state behind its inputs: what the aggregation service had to repair', async () => {
  const { d, store, due } = await world();
  const commit = async (instance: string, availability: number, snap: PublicationsSnapshot) => {
    const all = withAggregation(snap.records, [machineState(snap, instance, availability)], STATE, now);
    return commitAndAnnounce(d, p, all.changes, { categories: all.touched });
  };
  await commit('2001', 3500, await readPublications(store, p));
  await commit('2002', 3500, await readPublications(store, p));
  const seen = await readPublications(store, p);
  expect((await commit('2001', 15500, seen)).ok).toBe(true);
  expect((await commit('2002', 15500, seen)).ok).toBe(true);
  expect(await aggregated(store)).toBe('3500');
  expect(planAggregation((await readPublications(store, p)).records, STATE, now).changes).not.toEqual([]);
  await new Promise((r) => setTimeout(r, 20));
  expect(due).toHaveLength(4);
});

it('a change that triggers no computation (a note) is not held up by the generation: it commits over a concurrent state change', async () => {
  const { d, store } = await world();
  const seen = await readPublications(store, p);
  expect((await commitWithAggregation(d, p, seen, [machineState(seen, '2001', 3500)], STATE, { now })).result.ok).toBe(true);
  const note: PublicationRecord = { categoryName: 'note', instance: '0', container: 200, expireType: 'static', publishTime: now.toISOString(), data: '<note/>' };
  const r = await commitWithAggregation(d, p, seen, [put(publications, note, { expect: 0 })], [{ container: 200, name: 'note' }], { now });
  expect(r.result.ok).toBe(true);
  expect((await readPublications(store, p)).generation).toBe(1);
});
