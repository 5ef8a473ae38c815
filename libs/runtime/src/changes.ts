import { randomUUID } from 'node:crypto';
import { aggregationDue, presenceChanged, type Bus, type PresenceChanged } from '@presence/bus';
import { triggeredBy } from '@presence/presence';
import type { ApplyResult, Change, Partition, Store } from '@presence/state';
import type { Logger } from '@presence/telemetry';

/** The outbox collection: announcements committed with their change, removed once published. */
export const OUTBOX = 'obx';
/** How long an announcement may wait for its publisher before a sweeper publishes it instead. */
const OUTBOX_GRACE_MS = 5000;

export type Announcement = Omit<PresenceChanged, 'user' | 'at'>;

export interface CommitDeps {
  readonly store: Store;
  readonly bus: Bus;
  readonly pool: string;
  readonly logger: Logger;
  readonly now?: () => number;
}

/**
 * Commits `changes` to a user's partition and announces them as `presence-changed`, without ever
 * losing the announcement of a committed change (transactional outbox): the announcement is
 * written in the same atomic `apply` as the change, published, then removed. If the process dies
 * between commit and publish, {@link sweepOutbox} publishes it later under the same message id, so
 * JetStream drops it if it had gone out after all.
 * Conflicts keep the indexes of `changes` (the outbox record comes last).
 */
export async function commitAndAnnounce(d: CommitDeps, p: Partition, changes: readonly Change[], what: Announcement): Promise<ApplyResult> {
  if (changes.length === 0) return { ok: true, versions: [] };
  const now = d.now?.() ?? Date.now();
  const id = randomUUID();
  const event: PresenceChanged = { user: p.user, ...what, at: new Date(now).toISOString() };
  const r = await d.store.apply(p, [...changes, { op: 'put', collection: OUTBOX, id, value: event, expect: 0, expiresAt: now + OUTBOX_GRACE_MS }]);
  if (!r.ok) return r;
  try {
    await announce(d.bus, d.pool, event, `changed:${id}`);
  } catch (e) {
    d.logger.warn({ err: e, user: p.user }, 'announcement left in the outbox for the sweeper');
    return { ok: true, versions: r.versions.slice(0, changes.length) };
  }
  // Published: the outbox record can go. Not awaited, so that the caller's next store call (the
  // publication's read for its 200) leaves in the same pipeline: one Redis round trip less per
  // publish (issue 13). Should the delete fail, the sweeper publishes the record again under the
  // same message id, inside JetStream's duplicate window, and removes it.
  d.store.apply(p, [{ op: 'delete', collection: OUTBOX, id }]).catch((e: unknown) => d.logger.warn({ err: e, user: p.user }, 'a published announcement stays in the outbox until the sweeper removes it'));
  return { ok: true, versions: r.versions.slice(0, changes.length) };
}

/**
 * Publishes a change as `presence-changed` and, when it can trigger aggregation and did not carry
 * its computed instances, as `aggregation-due` too (at once: one write to NATS). Both carry message ids derived from `msgId`,
 * so publishing the same announcement again (the outbox sweeper) is dropped as a duplicate.
 */
export async function announce(bus: Bus, pool: string, event: PresenceChanged, msgId: string): Promise<void> {
  const due = !event.aggregated && triggeredBy(event.categories ?? []).length > 0;
  await Promise.all([
    bus.publish(presenceChanged, pool, event, { msgId }),
    ...(due ? [bus.publish(aggregationDue, pool, event, { msgId: `${msgId}:aggregation` })] : []),
  ]);
}

/** Publishes announcements whose publisher did not (it crashed or the bus was down). */
export async function sweepOutbox(d: CommitDeps, limit = 100): Promise<number> {
  let n = 0;
  for (const due of await d.store.due(d.pool, OUTBOX, d.now?.() ?? Date.now(), limit)) {
    await announce(d.bus, d.pool, due.record.value as PresenceChanged, `changed:${due.record.id}`);
    const r = await d.store.apply(due.partition, [{ op: 'delete', collection: OUTBOX, id: due.record.id, expect: due.record.version }]);
    if (r.ok) n++;
  }
  return n;
}

/** Runs `task` every `ms` until stopped; a failing run is logged and the next one still happens. */
export function every(ms: number, task: () => Promise<unknown>, logger: Logger, what: string): { stop(): void } {
  let running = false;
  const t = setInterval(() => {
    if (running) return;
    running = true;
    task()
      .catch((e: unknown) => logger.warn({ err: e }, `${what} failed`))
      .finally(() => (running = false));
  }, ms);
  t.unref();
  return { stop: () => clearInterval(t) };
}
