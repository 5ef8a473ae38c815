import { buildMembers, type ContainerChange, type ContainerView, type FaultOperation, type Member } from '@presence/documents';
import { containers, put, type Change, type ContainerMember, type ContainerRecord, type StoredRecord } from '@presence/state';
import type { PublicationPolicy } from './policy.js';

export type ContainerOutcome =
  | { readonly ok: true; readonly changes: readonly Change[]; readonly touched: readonly number[] }
  | { readonly ok: false; readonly status: number; readonly reason: string; readonly faults?: readonly FaultOperation[] };

/** Members compare by type and, for user/domain, value without scheme, case-insensitively. */
function memberKey(m: Member | ContainerMember): string {
  return `${m.type}\u0000${(m.value ?? '').replace(/^sips?:/i, '').toLowerCase()}`;
}

/**
 * Plans setContainerMembers ([MS-PRES] §3.5.5.2): each container element must name its member
 * set's current version (0 for a new set); adds of existing members and removes of absent ones do
 * not fail, and every container element increments its version once. All or nothing.
 */
export function planContainerMembers(req: readonly ContainerChange[], current: readonly StoredRecord<ContainerRecord>[], policy: PublicationPolicy): ContainerOutcome {
  const byId = new Map(current.map((c) => [c.value.id, c]));
  const faults: FaultOperation[] = [];
  for (const c of req) {
    const cur = byId.get(c.id);
    if (c.version !== (cur?.version ?? 0)) {
      faults.push({ index: c.index, version: c.version, curVersion: cur?.version ?? 0, data: buildMembers(cur?.value.members ?? []) });
    }
  }
  if (faults.length > 0) return { ok: false, status: 409, reason: 'Conflict', faults };

  const changes: Change[] = [];
  const after = new Map(current.map((c) => [c.value.id, c.value.members]));
  for (const c of req) {
    const members = new Map((byId.get(c.id)?.value.members ?? []).map((m) => [memberKey(m), m]));
    for (const m of c.members) {
      const key = memberKey(m);
      if (m.action === 'remove') members.delete(key);
      else if (!members.has(key)) members.set(key, m.value === undefined ? { type: m.type } : { type: m.type, value: m.value.replace(/^sips?:/i, '') });
    }
    const list = [...members.values()];
    after.set(c.id, list);
    changes.push(put(containers, { id: c.id, members: list }, { expect: c.version }));
  }
  const total = [...after.values()].reduce((n, l) => n + l.length, 0);
  if (total > policy.maxContainerMembers) return { ok: false, status: 413, reason: `more than ${policy.maxContainerMembers} container members` };
  return { ok: true, changes, touched: req.map((c) => c.id) };
}

/**
 * The `containers` view of a self subscription (§2.2.2.3.2): every container that has members or
 * publications, newest id first as in the examples, container 0 as `<member type="everyone"/>`.
 */
export function containerViews(memberSets: readonly StoredRecord<ContainerRecord>[], publishedIn: Iterable<number>, only?: readonly number[]): ContainerView[] {
  const sets = new Map(memberSets.map((c) => [c.value.id, c]));
  const ids = new Set<number>([...sets.keys(), ...publishedIn]);
  if (only === undefined) ids.add(0);
  const chosen = only ?? [...ids];
  return [...new Set(chosen)]
    .sort((a, b) => b - a)
    .map((id) =>
      id === 0
        ? { id: 0, version: 0, members: [{ type: 'everyone' as const }] }
        : { id, version: sets.get(id)?.version ?? 0, members: sets.get(id)?.value.members ?? [] },
    );
}
