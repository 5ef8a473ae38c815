import { validateChanges } from './validate.js';
import type { ApplyResult, Change, Conflict, DueRecord, Partition, Store, StoredRecord } from './store.js';

interface Rec {
  version: number;
  /** The value as written (JSON), until something reads it... */
  json?: string;
  /** ...then the value read back from it, frozen, instead (one copy, not two). */
  parsed?: unknown;
  expiresAt?: number;
}

interface DueEntry {
  partition: Partition;
  collection: string;
  id: string;
  expiresAt: number;
}

function partitionKey(p: Partition): string {
  return `${p.pool}\u0000${p.user}`;
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

/**
 * A record as read. The value is parsed from its JSON once and shared, frozen, by every reader:
 * reading is then as cheap as a look-up (a change's fan-out reads every watcher's records), and no
 * reader can change what another one sees.
 */
function toStored<T>(id: string, r: Rec): StoredRecord<T> {
  if (r.json !== undefined) {
    r.parsed = deepFreeze(JSON.parse(r.json));
    r.json = undefined;
  }
  const value = r.parsed as T;
  return r.expiresAt === undefined ? { id, version: r.version, value } : { id, version: r.version, value, expiresAt: r.expiresAt };
}

/**
 * The in-memory {@link Store}: embedded mode and unit tests. Values are written as JSON text, so a
 * caller never shares an object with the store and values behave exactly as they do in Redis; what
 * is read back is frozen (see `toStored`).
 * JavaScript runs one `apply` to completion before the next, which makes it atomic.
 */
export class MemoryStore implements Store {
  private readonly data = new Map<string, Map<string, Map<string, Rec>>>();
  private readonly dueIndex = new Map<string, Map<string, DueEntry>>();
  private closed = false;

  private collection(p: Partition, c: string, create: boolean): Map<string, Rec> | undefined {
    const pk = partitionKey(p);
    let part = this.data.get(pk);
    if (!part) {
      if (!create) return undefined;
      part = new Map();
      this.data.set(pk, part);
    }
    let col = part.get(c);
    if (!col && create) {
      col = new Map();
      part.set(c, col);
    }
    return col;
  }

  async get<T>(p: Partition, collection: string, id: string): Promise<StoredRecord<T> | undefined> {
    const r = this.collection(p, collection, false)?.get(id);
    return r ? toStored<T>(id, r) : undefined;
  }

  async list<T>(p: Partition, collection: string): Promise<StoredRecord<T>[]> {
    const col = this.collection(p, collection, false);
    return col ? [...col].map(([id, r]) => toStored<T>(id, r)) : [];
  }

  async count(p: Partition, collection: string): Promise<number> {
    return this.collection(p, collection, false)?.size ?? 0;
  }

  async apply(p: Partition, changes: readonly Change[]): Promise<ApplyResult> {
    validateChanges(changes);
    const conflicts: Conflict[] = [];
    changes.forEach((c, index) => {
      const cur = this.collection(p, c.collection, false)?.get(c.id);
      const version = cur?.version ?? 0;
      if (c.expect !== undefined && c.expect !== version) {
        conflicts.push({ index, collection: c.collection, id: c.id, expected: c.expect, current: cur ? toStored(c.id, cur) : undefined });
      }
    });
    if (conflicts.length > 0) return { ok: false, conflicts };

    const due = this.dueIndex.get(p.pool) ?? new Map<string, DueEntry>();
    this.dueIndex.set(p.pool, due);
    const versions = changes.map((c) => {
      const col = this.collection(p, c.collection, true)!;
      const dueId = `${partitionKey(p)}\u0000${c.collection}\u0000${c.id}`;
      if (c.op === 'put' && c.keepExpiry) {
        const cur = col.get(c.id);
        const rec: Rec = { version: (cur?.version ?? 0) + 1, json: JSON.stringify(c.value) };
        if (cur?.expiresAt !== undefined) rec.expiresAt = cur.expiresAt;
        col.set(c.id, rec);
        return rec.version;
      }
      due.delete(dueId);
      if (c.op === 'delete') {
        col.delete(c.id);
        return 0;
      }
      const version = (col.get(c.id)?.version ?? 0) + 1;
      const rec: Rec = { version, json: JSON.stringify(c.value) };
      if (c.expiresAt !== undefined) {
        rec.expiresAt = c.expiresAt;
        due.set(dueId, { partition: { pool: p.pool, user: p.user }, collection: c.collection, id: c.id, expiresAt: c.expiresAt });
      }
      col.set(c.id, rec);
      return version;
    });
    return { ok: true, versions };
  }

  async due(pool: string, collection: string, now: number, limit: number): Promise<DueRecord[]> {
    const entries = [...(this.dueIndex.get(pool)?.values() ?? [])]
      .filter((e) => e.collection === collection && e.expiresAt <= now)
      .sort((a, b) => a.expiresAt - b.expiresAt)
      .slice(0, limit);
    return entries.map((e) => ({
      partition: e.partition,
      collection: e.collection,
      record: toStored(e.id, this.collection(e.partition, e.collection, false)!.get(e.id)!),
    }));
  }

  async check(): Promise<void> {
    if (this.closed) throw new Error('store closed');
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
