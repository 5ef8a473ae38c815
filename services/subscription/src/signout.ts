import { every, type Pools } from '@presence/runtime';
import { getRecord, registrations, type Partition, type Store } from '@presence/state';
import type { Logger } from '@presence/telemetry';
import { endDialog } from './dialogs.js';

/**
 * Signed-out endpoints, kept a while in the user's home partition so that a SUBSCRIBE that was in
 * flight when the endpoint signed out does not leave a dialog behind: the endpoint-gone handler
 * records the sign-out before it ends the endpoint's dialogs, and a SUBSCRIBE checks for it after it
 * has written everything. Whichever runs second sees the other's work, so every dialog ends.
 */
const SIGNED_OUT = 'signedout';
/** Longer than any SUBSCRIBE takes to handle; a re-registration makes the record moot anyway. */
const KEEP_MS = 10 * 60_000;

export interface SignOutDeps {
  readonly store: Store;
  readonly pools: Pools;
  readonly now?: () => number;
}

/** Records that the endpoint signed out (call before ending its dialogs). */
export async function recordSignOut(d: SignOutDeps, homePool: string, user: string, epid: string): Promise<void> {
  if (epid === '') return;
  const now = d.now?.() ?? Date.now();
  await d.store.apply({ pool: homePool, user }, [{ op: 'put', collection: SIGNED_OUT, id: epid, value: { at: now }, expiresAt: now + KEEP_MS }]);
}

/** Whether the endpoint signed out and has not registered again. */
export async function signedOut(d: SignOutDeps, user: string, epid: string | undefined): Promise<boolean> {
  if (!epid) return false;
  const home: Partition = { pool: await d.pools.home(user), user };
  if ((await getRecord(d.store, home, registrations, epid)) !== undefined) return false;
  return (await d.store.get(home, SIGNED_OUT, epid)) !== undefined;
}

/**
 * The last step of a SUBSCRIBE that created or refreshed dialog `dialogId`: when its endpoint signed
 * out meanwhile, the dialog and all it holds end. True when it ended.
 */
export async function endIfSignedOut(d: SignOutDeps, p: Partition, epid: string | undefined, dialogId: string): Promise<boolean> {
  if (!(await signedOut(d, p.user, epid))) return false;
  await endDialog(d.store, p, dialogId);
  return true;
}

/** Forgets sign-outs older than KEEP_MS in `pool`. */
export function sweepSignOuts(d: SignOutDeps & { readonly pool: string; readonly logger: Logger }, everyMs: number): { stop(): void } {
  return every(
    everyMs,
    async () => {
      for (const due of await d.store.due(d.pool, SIGNED_OUT, d.now?.() ?? Date.now(), 200)) {
        await d.store.apply(due.partition, [{ op: 'delete', collection: SIGNED_OUT, id: due.record.id, expect: due.record.version }]);
      }
    },
    d.logger,
    'sign-out sweep',
  );
}
