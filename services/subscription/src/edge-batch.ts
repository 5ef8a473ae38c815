import { edgeSendBatch, NoRespondersError, type EdgeSendBatchItem } from '@presence/bus';
import type { DialogRecord, Partition } from '@presence/state';
import { notifyHeaders, notifyRef, remainingSeconds, type NotifierDeps } from './notifier.js';

/** Notifications in one message to an edge: ~1 KB of headers each besides the shared bodies. */
const MAX_PER_MESSAGE = 200;

/**
 * Hand-offs to the edges that have not been answered yet. The fan-out does not wait for them (the
 * next change can be worked on meanwhile; the edge keeps each dialog's CSeq order), but at most
 * `limit` are outstanding: beyond that it waits for the oldest, so the table stays bounded.
 */
export class HandOffs {
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly limit = 256) {}

  async add(p: Promise<unknown>): Promise<void> {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
    while (this.pending.size > this.limit) await Promise.race(this.pending);
  }

  /** Resolves once every hand-off made so far is answered (shutdown). */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }
}

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
 * Hands committed notifications to the edges holding their dialogs' connections: one bus message
 * per edge (and pool) and up to {@link MAX_PER_MESSAGE} notifications, each distinct body once in
 * it, in the order given. Resolves with how many went out.
 *
 * A failed hand-off is logged, not thrown: the CSeqs and fingerprints are committed, so running
 * the change again would find nothing to send. The edge's per-dialog sequencer lets a later CSeq
 * through after a short hold when an earlier one never arrives.
 */
export async function handToEdges(d: NotifierDeps, list: readonly Notification[]): Promise<number> {
  const groups = new Map<string, Notification[]>();
  const messages: Notification[][] = [];
  for (const n of list) {
    const key = `${n.dialog.edgeId}\u0000${n.partition.pool}`;
    let g = groups.get(key);
    // A message stays well under the bus's payload limit (NATS: 1 MB by default).
    if (!g || g.length === MAX_PER_MESSAGE) {
      g = [];
      groups.set(key, g);
      messages.push(g);
    }
    g.push(n);
  }
  const sent = await Promise.all(
    messages.map(async (ns) => {
      const { edgeId } = ns[0]!.dialog;
      const bodies: string[] = [];
      const index = new Map<string, number>();
      const items = ns.map((n): EdgeSendBatchItem => {
        let body = index.get(n.body);
        if (body === undefined) {
          body = bodies.push(n.body) - 1;
          index.set(n.body, body);
        }
        const method = n.dialog.benotify ? 'BENOTIFY' : 'NOTIFY';
        return {
          connectionId: n.dialog.connectionId,
          method,
          uri: n.dialog.remoteTarget,
          headers: notifyHeaders(n.dialog, n.cseq, method, `active;expires=${remainingSeconds(d, n.expiresAt)}`, n.contentType),
          body,
          ref: notifyRef(n.partition.user, n.dialogId, n.cseq),
          prevCseq: n.cseq - 1,
        };
      });
      try {
        const r = await d.bus.request(edgeSendBatch, edgeId, { pool: ns[0]!.partition.pool, bodies, items });
        return r.sent.filter(Boolean).length;
      } catch (e) {
        // The edge died: its clients reconnect elsewhere and refresh their dialogs there.
        if (e instanceof NoRespondersError) d.logger.info({ edgeId, notifications: items.length }, 'notifications not delivered: the edge is gone');
        else d.logger.warn({ err: e, edgeId, notifications: items.length }, 'notifications not handed to the edge');
        return 0;
      }
    }),
  );
  return sent.reduce((a, b) => a + b, 0);
}
