import { triggeredBy, withAggregation, type CategoryKey } from '@presence/presence';
import { listRecords, publications, publicationsGeneration, put, type ApplyResult, type Change, type Partition, type PublicationRecord, type Store, type StoredRecord } from '@presence/state';
import { commitAndAnnounce, type CommitDeps } from './changes.js';

/** A user's publications as one change is planned on them. */
export interface PublicationsSnapshot {
  /** The version of the user's `publicationsGeneration` record (0: none yet). */
  readonly generation: number;
  readonly records: StoredRecord<PublicationRecord>[];
}

/**
 * The user's publications and their generation, the generation read first: a change committed in
 * between moves the generation past what was read, so the commit that expects it fails. Both reads
 * are asked at once (one round trip): each store issues a read when it is called, and one
 * connection answers in the order asked (the memory store at once; RedisStore's single ioredis
 * connection, both keys in the user's slot), so the list is never older than the generation.
 */
export async function readPublications(store: Store, p: Partition): Promise<PublicationsSnapshot> {
  const [gen, records] = await Promise.all([store.get(p, publicationsGeneration.name, 'g'), listRecords(store, p, publications)]);
  return { generation: gen?.version ?? 0, records };
}

export interface AggregatedCommit {
  readonly result: ApplyResult;
  /** The (container, category) pairs changed, the computed ones included. */
  readonly touched: CategoryKey[];
  /** Conflicts with an index below this are on the caller's own changes. */
  readonly clientChanges: number;
}

/**
 * Commits a change of the user's publications, planned on `snap`, with the computed instances it
 * triggers ([MS-PRES] §3.8, planned as of `opts.now`, default now) and `opts.extra` changes (an
 * entity tag), in one atomic apply that expects the generation read when it touches an input of a
 * computation: if another such change of the user came in meanwhile, nothing is written and the
 * caller plans again. The computed instances are then right for the inputs as committed, so the
 * change is announced as aggregated and the aggregation service is not asked to check it (issue 13:
 * that check cost it and NATS a delivery, a read and an ack per state change). When there is
 * nothing to write (no change, no computed instance out of line), nothing is written:
 * `result.versions` is empty.
 */
export async function commitWithAggregation(
  d: CommitDeps,
  p: Partition,
  snap: PublicationsSnapshot,
  changes: readonly Change[],
  touched: readonly CategoryKey[],
  opts: { extra?: readonly Change[]; now?: Date } = {},
): Promise<AggregatedCommit> {
  const all = withAggregation(snap.records, changes, touched, opts.now ?? new Date(d.now?.() ?? Date.now()));
  if (all.changes.length === 0 && !opts.extra?.length) return { result: { ok: true, versions: [] }, touched: all.touched, clientChanges: 0 };
  // A change that triggers no computation (a note) neither reads nor alters their inputs: unguarded,
  // so it never waits on a concurrent state change of the user.
  const guard = triggeredBy(touched).length > 0 ? [put(publicationsGeneration, {}, { expect: snap.generation })] : [];
  const result = await commitAndAnnounce(d, p, [...all.changes, ...(opts.extra ?? []), ...guard], { categories: all.touched, aggregated: true });
  return { result, touched: all.touched, clientChanges: all.clientChanges };
}
