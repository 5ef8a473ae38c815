/**
 * The state every service shares, as versioned records.
 *
 * All of one user's state lives in one *partition* (pool + user), and one `apply` call changes any
 * number of records of one partition atomically: either every expectation holds and every change is
 * made, or nothing changes and the failed expectations come back with the current records. In Redis
 * a partition's keys share a hash tag, so this holds on Redis Cluster too.
 *
 * Versions follow [MS-PRES] §3.2.5.1.2 and §3.5.5.1: an absent record has version 0, creating one
 * gives version 1, and every write increments the version. A change that expects version 0 creates;
 * one that expects the current version updates or deletes; deleting returns the record to version 0.
 */
export interface Partition {
  readonly pool: string;
  /** The user's canonical address of record, e.g. `sip:alice@contoso.com`. */
  readonly user: string;
}

export interface StoredRecord<T = unknown> {
  readonly id: string;
  readonly version: number;
  readonly value: T;
  /** Epoch milliseconds after which the record is due for removal (see {@link Store.due}). */
  readonly expiresAt?: number;
}

interface ChangeBase {
  readonly collection: string;
  readonly id: string;
  /** Required current version (0 = must not exist). Omitted: unconditional. */
  readonly expect?: number;
}

/** Create or replace a record (its expiry included: a put without `expiresAt` clears it). */
export interface PutChange extends ChangeBase {
  readonly op: 'put';
  readonly value: unknown;
  readonly expiresAt?: number;
  /**
   * Replace the value only: the record keeps the expiry it has (and its expiry-index entry, which is
   * not rewritten). For records rewritten often without being refreshed, e.g. a dialog whose NOTIFY
   * CSeq moves on every notification: the index then holds one entry per record, not one per write.
   * Not with `expiresAt`.
   */
  readonly keepExpiry?: boolean;
}

/** Remove a record (no-op when absent and no version is expected). */
export interface DeleteChange extends ChangeBase {
  readonly op: 'delete';
}

export type Change = PutChange | DeleteChange;

/** A failed expectation: what was expected and what is there now. */
export interface Conflict {
  /** Index of the change in the list passed to `apply`. */
  readonly index: number;
  readonly collection: string;
  readonly id: string;
  readonly expected: number;
  readonly current: StoredRecord | undefined;
}

export type ApplyResult =
  | { readonly ok: true; /** New version per change (0 for deletes). */ readonly versions: readonly number[] }
  | { readonly ok: false; readonly conflicts: readonly Conflict[] };

/** A record whose expiry time has passed. Its owner removes it (with `expect: version`) and notifies. */
export interface DueRecord {
  readonly partition: Partition;
  readonly collection: string;
  readonly record: StoredRecord;
}

/** One record to read with {@link Store.getMany}. */
export interface RecordRef {
  readonly partition: Partition;
  readonly collection: string;
  readonly id: string;
}

/** One partition's changes for {@link Store.applyEach}. */
export interface PartitionChanges {
  readonly partition: Partition;
  readonly changes: readonly Change[];
}

/** The store port. {@link RedisStore} and {@link MemoryStore} pass the same contract suite. */
export interface Store {
  get<T = unknown>(p: Partition, collection: string, id: string): Promise<StoredRecord<T> | undefined>;
  list<T = unknown>(p: Partition, collection: string): Promise<StoredRecord<T>[]>;
  apply(p: Partition, changes: readonly Change[]): Promise<ApplyResult>;
  /** Records of many partitions, in the order asked (undefined where absent); one round trip where the back end allows. */
  getMany(refs: readonly RecordRef[]): Promise<(StoredRecord | undefined)[]>;
  /**
   * Each partition's changes applied as by `apply` (each atomic on its own: one refused leaves the
   * others applied), results in order; one round trip where the back end allows.
   */
  applyEach(groups: readonly PartitionChanges[]): Promise<ApplyResult[]>;
  /** How many records a collection of a partition holds (cheap: no records are read). */
  count(p: Partition, collection: string): Promise<number>;
  /**
   * Records of `collection` in `pool` whose `expiresAt` <= `now`, at most `limit`, oldest first.
   * Each service sweeps its own collections. A record stays due until it is changed or removed;
   * callers remove it with a version check so that two sweepers racing on it act once.
   */
  due(pool: string, collection: string, now: number, limit: number): Promise<DueRecord[]>;
  /** Resolves when the backing server answers now (used by /readyz). */
  check(): Promise<void>;
  close(): Promise<void>;
}
