import { validateChanges } from './validate.js';
import type { ApplyResult, Change, Conflict, DueRecord, Partition, PartitionChanges, RecordRef, Store, StoredRecord } from './store.js';

/** A record: its value as read back from the JSON it was written as, shared and frozen (see `Shared`). */
interface Rec {
  version: number;
  value: unknown;
  expiresAt: number | undefined;
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

/** Strings longer than this are rarely repeated (published XML, bodies): not worth a table entry. */
const MAX_SHARED_LENGTH = 128;
/** Arrays of up to this many strings and objects of up to this many string fields are shared whole. */
const MAX_SHARED_ITEMS = 8;
/** The table is emptied when it reaches this size: sharing is an economy, never needed for correctness. */
const MAX_SHARED_ENTRIES = 100_000;

/**
 * One copy of each repeated piece of the values held. A resource subscription is two records
 * (the publisher's watcher entry and the subscriber's dialog entry) whose strings are nearly all
 * repeats: the subscriber's URI in every watcher record of its contacts, the dialog id, the pool,
 * `["state","note"]`, the fingerprints of the views every watcher of a publisher saw. Parsed
 * separately, each record would hold its own copy of each (issue 13: ≤ 1 KB per subscription).
 * Values are frozen, so sharing is invisible to readers.
 */
class Shared {
  private readonly strings = new Map<string, string>();
  /** Small frozen arrays and objects of strings, by a length-prefixed key (unambiguous, unlike a plain join). */
  private readonly structures = new Map<string, object>();

  /**
   * `v` (fresh from JSON.parse, so not yet shared with anyone) with its pieces replaced by shared
   * copies, frozen. `prev` is the record's current value: a rewrite (a NOTIFY's CSeq, a view's
   * fingerprint) changes a field or two, and every piece equal to the one it replaces is taken
   * from `prev` without a table look-up.
   */
  value(v: unknown, prev?: unknown): unknown {
    if (typeof v === 'string') {
      if (v === prev) return prev;
      return v.length > MAX_SHARED_LENGTH ? v : intern(this.strings, v, v);
    }
    if (typeof v !== 'object' || v === null) return v;
    const p = typeof prev === 'object' && prev !== null ? (prev as Record<string, unknown>) : undefined;
    if (Array.isArray(v)) {
      const pa = Array.isArray(p) && p.length === v.length ? p : undefined;
      let same = pa !== undefined;
      let flat = v.length <= MAX_SHARED_ITEMS;
      for (let i = 0; i < v.length; i++) {
        const x = this.value(v[i], pa?.[i]);
        v[i] = x;
        if (same && x !== pa![i]) same = false;
        if (typeof x !== 'string') flat = false;
      }
      if (same) return pa;
      Object.freeze(v);
      if (!flat) return v;
      let key = 'a';
      for (const x of v as string[]) key += `${x.length}:${x}`;
      return intern(this.structures, key, v);
    }
    const o = v as Record<string, unknown>;
    let n = 0;
    let same = p !== undefined && !Array.isArray(p);
    let flat = true;
    for (const k in o) {
      const before = same ? p![k] : undefined;
      const x = this.value(o[k], before);
      // Always assigned: equal strings compare equal whatever copy they are. An own `__proto__`
      // field (JSON.parse makes one) must not meet the prototype setter; it keeps its own copy.
      if (k !== '__proto__') o[k] = x;
      n++;
      if (same && (x !== before || (before === undefined && !Object.prototype.hasOwnProperty.call(p, k)))) same = false;
      if (typeof x !== 'string') flat = false;
    }
    if (same) {
      let m = 0;
      for (const k in p) if (Object.prototype.hasOwnProperty.call(p, k)) m++;
      if (m === n) return p;
    }
    Object.freeze(o);
    if (!flat || n > MAX_SHARED_ITEMS) return o;
    let key = 'o';
    for (const k in o) key += `${k.length}:${k}${(o[k] as string).length}:${o[k] as string}`;
    return intern(this.structures, key, o);
  }

  /**
   * A record id as a map key: one flat copy per distinct id. A watcher record's id names the
   * subscriber's dialog (`<pool>|<subscriber>|<dialog>`) and recurs in the watcher collection of
   * every contact that dialog watches (80 contacts: 80 copies of ~90 bytes otherwise).
   */
  id(id: string): string {
    if (id.length > MAX_SHARED_ID_LENGTH) return flat(id);
    return this.strings.get(id) ?? intern(this.strings, id, flat(id));
  }

  get size(): number {
    return this.strings.size + this.structures.size;
  }
}

/** Ids longer than this are kept as they come (an id is a few URIs and tokens; a longer one is rare). */
const MAX_SHARED_ID_LENGTH = 256;

function intern<T>(table: Map<string, T>, key: string, v: T): T {
  const found = table.get(key);
  if (found !== undefined) return found;
  if (table.size >= MAX_SHARED_ENTRIES) table.clear();
  table.set(key, v);
  return v;
}

/**
 * A flat copy of a string. Ids are built by concatenation (`<pool>|<subscriber>|<dialog>`), which
 * V8 keeps as a tree of pieces; kept as a map key, the tree stays next to the flat text made for
 * hashing (about 60 bytes more per record, measured: bench/README.md "Memory").
 */
function flat(s: string): string {
  return JSON.parse(JSON.stringify(s)) as string;
}

/** What {@link plainCopy} gives for a value it leaves to JSON. */
const NOT_PLAIN = Symbol('not plain');
/** Deeper than this, JSON does the copy (and reports a cycle as JSON does). */
const MAX_PLAIN_DEPTH = 32;

/**
 * `JSON.parse(JSON.stringify(v))` for plain data (objects of the Object prototype, arrays,
 * strings, finite numbers, booleans, null), without the text in between: every dialog rewrite of
 * a fan-out goes through here (issue 13, the PIDF path's profile: the JSON round trip was the
 * store's largest cost). Anything else (a Date, a toJSON, a class instance, an own `__proto__`,
 * a bigint, a cycle) gives {@link NOT_PLAIN} and the JSON round trip decides, so both give the same.
 */
function plainCopy(v: unknown, depth: number): unknown {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      return Number.isFinite(v) ? (v === 0 ? 0 : v) : null; // JSON: -0 → 0, NaN/±Infinity → null
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    case 'object':
      break;
    default:
      return NOT_PLAIN;
  }
  if (v === null) return null;
  if (depth >= MAX_PLAIN_DEPTH) return NOT_PLAIN;
  if (Array.isArray(v)) {
    if (Object.getPrototypeOf(v) !== Array.prototype || typeof (v as { toJSON?: unknown }).toJSON === 'function') return NOT_PLAIN;
    const out: unknown[] = new Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const x = plainCopy(v[i], depth + 1);
      if (x === NOT_PLAIN) return NOT_PLAIN;
      out[i] = x === undefined ? null : x; // JSON: an array keeps the slot as null
    }
    return out;
  }
  const proto = Object.getPrototypeOf(v);
  if ((proto !== Object.prototype && proto !== null) || typeof (v as { toJSON?: unknown }).toJSON === 'function') return NOT_PLAIN;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) {
    if (k === '__proto__') return NOT_PLAIN;
    const x = plainCopy((v as Record<string, unknown>)[k], depth + 1);
    if (x === NOT_PLAIN) return NOT_PLAIN;
    if (x !== undefined) out[k] = x;
  }
  return out;
}

function toStored<T>(id: string, r: Rec): StoredRecord<T> {
  const value = r.value as T;
  return r.expiresAt === undefined ? { id, version: r.version, value } : { id, version: r.version, value, expiresAt: r.expiresAt };
}

/**
 * The in-memory {@link Store}: embedded mode and unit tests. Values go through JSON on the way in,
 * so a caller never shares an object with the store and values behave exactly as they do in Redis;
 * what is read back is parsed once, frozen and shared by every reader (reading is as cheap as a
 * look-up: a change's fan-out reads every watcher's records), its repeated pieces stored once (`Shared`).
 * JavaScript runs one `apply` to completion before the next, which makes it atomic.
 */
export class MemoryStore implements Store {
  /** Pool → user → collection → records. */
  private readonly data = new Map<string, Map<string, Map<string, Map<string, Rec>>>>();
  private readonly dueIndex = new Map<string, Map<string, DueEntry>>();
  private readonly shared = new Shared();
  private closed = false;

  private collection(p: Partition, c: string, create: boolean): Map<string, Rec> | undefined {
    // Pool, then user: no key concatenated per lookup (a fan-out looks up two records per watcher).
    let pool = this.data.get(p.pool);
    if (!pool) {
      if (!create) return undefined;
      pool = new Map();
      this.data.set(flat(p.pool), pool);
    }
    let part = pool.get(p.user);
    if (!part) {
      if (!create) return undefined;
      part = new Map();
      pool.set(flat(p.user), part);
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
    if (!col) return [];
    const out: StoredRecord<T>[] = [];
    for (const [id, r] of col) out.push(toStored<T>(id, r));
    return out;
  }

  async count(p: Partition, collection: string): Promise<number> {
    return this.collection(p, collection, false)?.size ?? 0;
  }

  async getMany(refs: readonly RecordRef[]): Promise<(StoredRecord | undefined)[]> {
    return Promise.all(refs.map((r) => this.get(r.partition, r.collection, r.id)));
  }

  async applyEach(groups: readonly PartitionChanges[]): Promise<ApplyResult[]> {
    for (const g of groups) validateChanges(g.changes);
    return Promise.all(groups.map((g) => this.apply(g.partition, g.changes)));
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
      if (c.op === 'put' && c.keepExpiry) {
        const cur = col.get(c.id);
        const rec: Rec = { version: (cur?.version ?? 0) + 1, value: this.copy(c.value, cur), expiresAt: cur?.expiresAt };
        col.set(cur ? c.id : this.shared.id(c.id), rec);
        return rec.version;
      }
      const dueId = `${partitionKey(p)}\u0000${c.collection}\u0000${c.id}`;
      due.delete(dueId);
      if (c.op === 'delete') {
        col.delete(c.id);
        return 0;
      }
      const cur = col.get(c.id);
      const version = (cur?.version ?? 0) + 1;
      const rec: Rec = { version, value: this.copy(c.value, cur), expiresAt: c.expiresAt };
      if (c.expiresAt !== undefined) {
        due.set(dueId, { partition: { pool: p.pool, user: p.user }, collection: c.collection, id: c.id, expiresAt: c.expiresAt });
      }
      col.set(cur ? c.id : this.shared.id(c.id), rec); // a map keeps the key it first got
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

  /** The value as Redis would give it back (JSON semantics: undefined fields dropped, dates as text), shared. */
  private copy(v: unknown, prev?: Rec): unknown {
    const plain = plainCopy(v, 0);
    if (plain !== NOT_PLAIN) return plain === undefined ? undefined : this.shared.value(plain, prev?.value);
    const json = JSON.stringify(v);
    return json === undefined ? undefined : this.shared.value(JSON.parse(json), prev?.value);
  }

  /** Entries of the sharing table (tests: it stays bounded). */
  get sharedEntries(): number {
    return this.shared.size;
  }

  async check(): Promise<void> {
    if (this.closed) throw new Error('store closed');
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
