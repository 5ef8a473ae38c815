import type { CategoryView, FaultOperation, PublishRequest } from '@presence/documents';
import { publications, put, remove, type Change, type Conflict, type PublicationRecord, type StoredRecord } from '@presence/state';
import { isReadOnly, type PublicationPolicy } from './policy.js';
import { publishTime } from './time.js';

/** A (container, category) pair a change touched. */
export interface CategoryKey {
  readonly container: number;
  readonly name: string;
}

export type PublishOutcome =
  | { readonly ok: true; readonly changes: readonly Change[]; readonly touched: readonly CategoryKey[] }
  | { readonly ok: false; readonly status: number; readonly reason: string; readonly faults?: readonly FaultOperation[] };

export interface PublishContext {
  /** The publisher's address of record. */
  readonly publisher: string;
  /** The To and From URIs of the SERVICE, as addresses of record. */
  readonly toAor: string;
  readonly fromAor: string;
  /** The publishing endpoint, when it is registered. */
  readonly endpoint?: { readonly epid: string; readonly endpointId?: string };
  readonly now: Date;
  /** Every publication of the publisher, as stored now. */
  readonly current: readonly StoredRecord<PublicationRecord>[];
  readonly policy: PublicationPolicy;
}

const fail = (status: number, reason: string): PublishOutcome => ({ ok: false, status, reason });

export const publicationId = (container: number, name: string, instance: string): string => publications.idOf({ container, categoryName: name, instance } as PublicationRecord);

/** Compares `sip:` URIs as addresses: scheme and case of the host do not matter. */
export function sameAor(a: string, b: string): boolean {
  const norm = (u: string) => u.replace(/^sips?:/i, '').split(';')[0]!.toLowerCase();
  return norm(a) === norm(b);
}

/**
 * Plans a batch publish ([MS-PRES] §3.2.5.1.2): checks every publication, then the versions of all
 * of them, and returns the store changes that apply the whole batch, or the single refusal.
 * Nothing here touches the store: the caller applies `changes` in one atomic call (whose own version
 * checks catch a concurrent writer; see {@link conflictFaults}).
 */
export function planPublish(req: PublishRequest, ctx: PublishContext): PublishOutcome {
  if (!sameAor(ctx.fromAor, ctx.toAor)) return fail(403, 'From and To differ');
  if (!sameAor(ctx.toAor, req.uri)) return fail(400, 'publications/@uri differs from the To URI');
  const byId = new Map(ctx.current.map((r) => [r.id, r]));
  const seen = new Set<string>();
  for (const op of req.publications) {
    const id = publicationId(op.container, op.categoryName, op.instance);
    if (seen.has(id)) return fail(400, `publication ${op.index} repeats container ${op.container}, ${op.categoryName}, instance ${op.instance}`);
    seen.add(id);
    if (op.expireType === 'time' && op.expires === undefined) return fail(400, `publication ${op.index}: expireType time needs expires`);
    if (op.expires !== undefined && op.expires !== 0 && op.expireType !== 'time') return fail(400, `publication ${op.index}: a non-zero expires needs expireType time`);
    if (op.expireType === 'endpoint' && op.expires !== 0 && !ctx.endpoint) return fail(488, 'Endpoint Not Registered');
    if (isReadOnly(ctx.policy, op.container, op.categoryName)) return fail(403, `${op.categoryName} is read-only in container ${op.container}`);
    if (ctx.policy.registeredCategories && !ctx.policy.registeredCategories.has(op.categoryName)) return fail(403, `category ${op.categoryName} is not registered`);
    if (Buffer.byteLength(op.data) > ctx.policy.maxPublicationBytes) return fail(413, `publication ${op.index} is over ${ctx.policy.maxPublicationBytes} bytes`);
  }

  // Version check of every publication: one failure fails the request, listing each failure (§2.2.2.2.3).
  const faults: FaultOperation[] = [];
  for (const op of req.publications) {
    const cur = byId.get(publicationId(op.container, op.categoryName, op.instance));
    const curVersion = cur?.version ?? 0;
    if (op.version !== curVersion) faults.push({ index: op.index, version: op.version, curVersion, data: cur?.value.data ?? '' });
  }
  if (faults.length > 0) return { ok: false, status: 409, reason: 'Conflict', faults };

  // Category quota across containers, with the request applied.
  const after = new Map(ctx.current.map((r) => [r.id, r.value]));
  const changes: Change[] = [];
  const touched = new Map<string, CategoryKey>();
  for (const op of req.publications) {
    const id = publicationId(op.container, op.categoryName, op.instance);
    touched.set(`${op.container}:${op.categoryName}`, { container: op.container, name: op.categoryName });
    const cur = byId.get(id);
    if (op.expires === 0) {
      // Deleting an instance that does not exist is a no-op (§3.2.5.1.2).
      if (cur) changes.push(remove(publications, id, { expect: cur.version }));
      after.delete(id);
      continue;
    }
    const rec: PublicationRecord = {
      categoryName: op.categoryName,
      instance: op.instance,
      container: op.container,
      expireType: op.expireType,
      ...(op.expires !== undefined ? { expires: op.expires } : {}),
      ...(op.expireType === 'endpoint' && ctx.endpoint ? { epid: ctx.endpoint.epid, ...(ctx.endpoint.endpointId ? { endpointId: ctx.endpoint.endpointId } : {}) } : {}),
      publishTime: publishTime(ctx.now, cur?.value.publishTime),
      data: op.data,
    };
    after.set(id, rec);
    changes.push(
      put(publications, rec, {
        expect: op.version,
        ...(op.expireType === 'time' && op.expires ? { expiresAt: ctx.now.getTime() + op.expires * 1000 } : {}),
      }),
    );
  }
  const names = new Set(req.publications.map((p) => p.categoryName));
  for (const name of names) {
    const total = [...after.values()].filter((r) => r.categoryName === name).reduce((n, r) => n + Buffer.byteLength(r.data), 0);
    if (total > ctx.policy.maxCategoryBytes) return fail(413, `category ${name} is over its quota of ${ctx.policy.maxCategoryBytes} bytes`);
  }
  return { ok: true, changes, touched: [...touched.values()] };
}

/**
 * A 409 from the store's own version check (a concurrent writer got in between reading and
 * applying): every conflicting publication with its current version and data.
 */
export function conflictFaults(req: PublishRequest, conflicts: readonly Conflict[]): FaultOperation[] {
  const byId = new Map(conflicts.map((c) => [c.id, c]));
  return req.publications.flatMap((op) => {
    const c = byId.get(publicationId(op.container, op.categoryName, op.instance));
    if (!c) return [];
    const cur = c.current as StoredRecord<PublicationRecord> | undefined;
    return [{ index: op.index, version: op.version, curVersion: cur?.version ?? 0, data: cur?.value.data ?? '' }];
  });
}

/** The self view of one instance: every attribute that has a value (§3.2.5.1.2). */
export function selfView(r: StoredRecord<PublicationRecord>): CategoryView {
  const v = r.value;
  return {
    name: v.categoryName,
    instance: v.instance,
    publishTime: v.publishTime,
    container: v.container,
    version: r.version,
    expireType: v.expireType,
    ...(v.endpointId !== undefined ? { endpointId: v.endpointId } : {}),
    ...(v.expireType === 'time' && v.expires !== undefined ? { expires: v.expires } : {}),
    data: v.data,
  };
}

const order = (a: StoredRecord<PublicationRecord>, b: StoredRecord<PublicationRecord>) =>
  a.value.categoryName.localeCompare(b.value.categoryName) || a.value.container - b.value.container || Number(a.value.instance) - Number(b.value.instance);

/**
 * Self views of the given (container, category) pairs: all instances of each, and for a pair left
 * with none an element with only name and container ([MS-PRES] §4.2.2).
 */
export function selfViewsOf(records: readonly StoredRecord<PublicationRecord>[], keys: readonly CategoryKey[]): CategoryView[] {
  const sortedKeys = [...keys].sort((a, b) => a.name.localeCompare(b.name) || a.container - b.container);
  return sortedKeys.flatMap((k) => {
    const inKey = records.filter((r) => r.value.container === k.container && r.value.categoryName === k.name).sort(order);
    return inKey.length > 0 ? inKey.map(selfView) : [{ name: k.name, container: k.container }];
  });
}

/** Self views of every instance (the full `categories` of a self subscription, §2.2.2.3.2). */
export function allSelfViews(records: readonly StoredRecord<PublicationRecord>[]): CategoryView[] {
  return [...records].sort(order).map(selfView);
}
