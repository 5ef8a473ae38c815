import { handToEdges } from '@presence/runtime';
import type { DialogRecord, Partition } from '@presence/state';
import { notifyHeaders, notifyRef, remainingSeconds, type NotifierDeps } from './notifier.js';

/** A notification whose CSeq is committed, ready for the edge. */
export interface Notification {
  readonly partition: Partition;
  readonly dialogId: string;
  readonly dialog: DialogRecord;
  readonly expiresAt: number | undefined;
  readonly cseq: number;
  readonly body: string;
  readonly contentType: string;
}

/**
 * Hands committed notifications to the edges holding their dialogs' connections (one `send-batch`
 * per edge: {@link handToEdges} of the runtime). Resolves with how many went out.
 *
 * A failed hand-off is logged, not thrown: the CSeqs and fingerprints are committed, so running
 * the change again would find nothing to send. The edge's per-dialog sequencer lets a later CSeq
 * through after a short hold when an earlier one never arrives.
 */
export async function handNotifications(d: NotifierDeps, list: readonly Notification[]): Promise<number> {
  const outcome = await handToEdges(
    d.bus,
    d.logger,
    list.map((n) => {
      const method = n.dialog.benotify ? 'BENOTIFY' : 'NOTIFY';
      return {
        edgeId: n.dialog.edgeId,
        pool: n.partition.pool,
        connectionId: n.dialog.connectionId,
        method,
        uri: n.dialog.remoteTarget,
        headers: notifyHeaders(n.dialog, n.cseq, method, `active;expires=${remainingSeconds(d, n.expiresAt)}`, n.contentType),
        body: n.body,
        ref: notifyRef(n.partition.user, n.dialogId, n.cseq),
        prevCseq: n.cseq - 1,
      };
    }),
  );
  return outcome.filter((sent) => sent === true).length;
}
