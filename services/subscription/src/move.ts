import type { MoveUserReply, MoveUserRequest } from '@presence/bus';
import { announce } from '@presence/runtime';
import { uniqueKeys } from '@presence/presence';
import {
  contactLists,
  containers,
  delegates,
  dialogs,
  listRecords,
  publications,
  registrations,
  subscribers,
  watchers,
  type Change,
  type Partition,
} from '@presence/state';
import type { CategoryDeps } from './category.js';
import { endDialog } from './dialogs.js';
import { notify } from './notifier.js';

/**
 * The user's own data that moves with them. Dialogs (and the watchers that point at them) do not
 * move: they are ended below, and clients resubscribe where the user now lives.
 */
const COLLECTIONS = [
  ...[publications, containers, subscribers, delegates, registrations, contactLists].map((c) => c.name),
  'srv', // the publication service's server-publication timer
];
/** How long edges may still route to the old pool (their cache of moved users). */
const ROUTING_SETTLE_MS = 1100;

export class MoveError extends Error {
  readonly code = 'PRES_ERR_MOVE';
}

/**
 * Moves a user to another pool ([DESIGN] Pools): copies their data there, records the new home
 * (edges route them there from then on), ends with a terminating NOTIFY every dialog that watches
 * them and their own dialogs, so that clients resubscribe where the user now lives, then removes the
 * data from the old pool. Writes to the old pool during the move (a publish in that window) are lost:
 * run it while the user is quiet, as operators do for a pool move.
 */
export async function moveUserTo(d: CategoryDeps, req: MoveUserRequest): Promise<MoveUserReply> {
  const from = d.pool;
  if (!d.pools.all.some((p) => p.id === req.to)) throw new MoveError(`unknown pool ${req.to}`);
  if ((await d.pools.home(req.user)) !== from) throw new MoveError(`${req.user} does not live in ${from}`);
  if (req.to === from) return { from, to: req.to, moved: {}, dialogsEnded: 0 };
  const src: Partition = { pool: from, user: req.user };
  const dst: Partition = { pool: req.to, user: req.user };

  const moved: Record<string, number> = {};
  const copied: [string, string[]][] = [];
  for (const c of COLLECTIONS) {
    const recs = await d.store.list(src, c);
    if (recs.length === 0) continue;
    const puts: Change[] = recs.map((r) => ({ op: 'put', collection: c, id: r.id, value: r.value, ...(r.expiresAt !== undefined ? { expiresAt: r.expiresAt } : {}) }));
    const r = await d.store.apply(dst, puts);
    if (!r.ok) throw new MoveError(`copying ${c} failed`);
    moved[c] = recs.length;
    copied.push([c, recs.map((x) => x.id)]);
  }
  await d.pools.setHome(req.user, req.to);
  await new Promise((r) => setTimeout(r, ROUTING_SETTLE_MS));

  // Watchers of the user, then the user's own dialogs: a terminating NOTIFY makes clients resubscribe.
  let dialogsEnded = 0;
  for (const w of await listRecords(d.store, src, watchers)) {
    const sp: Partition = { pool: w.value.pool, user: w.value.subscriber };
    await notify(d, sp, w.value.dialogId, undefined, undefined, 'terminated;reason=deactivated').catch(() => false);
    await endDialog(d.store, sp, w.value.dialogId);
    dialogsEnded++;
  }
  for (const dlg of await listRecords(d.store, src, dialogs)) {
    await notify(d, src, dlg.id, undefined, undefined, 'terminated;reason=deactivated').catch(() => false);
    await endDialog(d.store, src, dlg.id);
    dialogsEnded++;
  }
  for (const [c, ids] of copied) await d.store.apply(src, ids.map((id) => ({ op: 'delete', collection: c, id })));
  // Announce the data in its new pool, so aggregation and fan-out there start from it.
  const cats = uniqueKeys(await listRecords(d.store, dst, publications));
  if (cats.length > 0) {
    await announce(d.bus, req.to, { user: req.user, categories: cats, at: new Date().toISOString() }, `moved:${req.user}:${from}:${req.to}:${Date.now()}`);
  }
  d.logger.info({ user: req.user, from, to: req.to, moved, dialogsEnded }, 'user moved to another pool');
  return { from, to: req.to, moved, dialogsEnded };
}
