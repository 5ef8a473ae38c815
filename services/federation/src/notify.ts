import { edgeSend, edgeSendBatch, NoRespondersError, type Bus, type BusHeader, type EdgeSendBatchItem, type EdgeSendRequest } from '@presence/bus';
import type { UserDirectory } from '@presence/runtime';
import { remove, type Partition, type Store, type StoredRecord } from '@presence/state';
import type { Logger } from '@presence/telemetry';
import { fedDialogs, fedWatchers, type FedDialogRecord } from './records.js';

export interface FedDeps {
  readonly store: Store;
  readonly bus: Bus;
  readonly logger: Logger;
  readonly pool: string;
  readonly directory: UserDirectory | undefined;
  readonly now?: () => number;
}

/** Event package of a dialog (RFC 3856, RFC 3857). */
export const eventOf = (d: FedDialogRecord) => (d.kind === 'winfo' ? 'presence.winfo' : 'presence');

/** The To of a NOTIFY: the subscriber with its tag, and its epid when it sent one. */
export const toValue = (d: FedDialogRecord) => `<${d.subscriber}>;tag=${d.remoteTag}${d.epidInFrom && d.epid ? `;epid=${d.epid}` : ''}`;

/** The headers of a NOTIFY on a dialog of this service: From the notifier, as in [MS-PRES] §4.10. */
export function notifyHeaders(d: FedDialogRecord, cseq: number, state: string, contentType: string): BusHeader[] {
  return [
    { name: 'From', value: `<${d.publisher}>;tag=${d.localTag}` },
    { name: 'To', value: toValue(d) },
    { name: 'Call-ID', value: d.callId },
    { name: 'CSeq', value: `${cseq} NOTIFY` },
    { name: 'Event', value: eventOf(d) },
    { name: 'subscription-state', value: state },
    { name: 'Content-Type', value: contentType },
  ];
}

/**
 * The outcome reference of a NOTIFY of this service. Not JSON: the subscription service, which
 * consumes the same outcomes, reads only JSON refs and so ignores these, and this one reads only these.
 */
export function fedRef(subscriber: string, dialogId: string, cseq: number): string {
  return `fed ${JSON.stringify([subscriber, dialogId, cseq])}`;
}

export function parseFedRef(ref: string): { subscriber: string; dialogId: string } | undefined {
  if (!ref.startsWith('fed ')) return undefined;
  try {
    const [subscriber, dialogId] = JSON.parse(ref.slice(4)) as unknown[];
    return typeof subscriber === 'string' && typeof dialogId === 'string' ? { subscriber, dialogId } : undefined;
  } catch {
    return undefined;
  }
}

/** Seconds left of a subscription, for `subscription-state: active;expires=` (RFC 6665 §4.1.3). */
export function remaining(d: FedDeps, expiresAt: number | undefined): number {
  const now = d.now?.() ?? Date.now();
  return Math.max(0, Math.round(((expiresAt ?? now) - now) / 1000));
}

/** A NOTIFY whose CSeq is committed. */
export interface FedNotification {
  readonly dialogId: string;
  readonly dialog: FedDialogRecord;
  readonly cseq: number;
  readonly state: string;
  readonly body: string;
  readonly contentType: string;
}

/** The request to the edge for a notification; `prevCseq` keeps a dialog's NOTIFYs in CSeq order at the edge. */
export function request(d: FedDeps, n: FedNotification): Omit<EdgeSendRequest, 'connectionId'> {
  return {
    pool: d.pool,
    method: 'NOTIFY',
    uri: n.dialog.remoteTarget,
    headers: notifyHeaders(n.dialog, n.cseq, n.state, n.contentType),
    body: n.body,
    ref: fedRef(n.dialog.subscriber, n.dialogId, n.cseq),
    prevCseq: n.cseq - 1,
  };
}

/** Notifications per message to an edge (each ~1 KB of headers, the bodies shared). */
const MAX_PER_MESSAGE = 200;

/**
 * Hands committed notifications to the edges holding their connections: one message per edge
 * (`send-batch`), each distinct body once. A failed hand-off is logged: the CSeqs are committed.
 */
export async function handToEdges(d: FedDeps, list: readonly FedNotification[]): Promise<void> {
  const byEdge = new Map<string, FedNotification[][]>();
  for (const n of list) {
    const groups = byEdge.get(n.dialog.edgeId) ?? [[]];
    byEdge.set(n.dialog.edgeId, groups);
    if (groups.at(-1)!.length === MAX_PER_MESSAGE) groups.push([]);
    groups.at(-1)!.push(n);
  }
  const messages = [...byEdge].flatMap(([edgeId, groups]) => groups.map((ns) => ({ edgeId, ns })));
  await Promise.all(
    messages.map(async ({ edgeId, ns }) => {
      const bodies: string[] = [];
      const index = new Map<string, number>();
      const items = ns.map((n): EdgeSendBatchItem => {
        const { pool: _pool, body, ...rest } = request(d, n);
        let i = index.get(body);
        if (i === undefined) index.set(body, (i = bodies.push(body) - 1));
        return { ...rest, connectionId: n.dialog.connectionId, body: i };
      });
      try {
        const r = await d.bus.request(edgeSendBatch, edgeId, { pool: d.pool, bodies, items });
        // The edge no longer holds the connection: the subscriber went away (RFC 6665 §4.2.2 ends it).
        const gone = ns.filter((_, i) => r.sent[i] === false);
        for (const n of gone) await endFedDialog(d, { pool: d.pool, user: n.dialog.subscriber }, n.dialogId);
        if (gone.length > 0) d.logger.info({ edgeId, dialogs: gone.length }, 'dialogs ended: their connections are gone');
      } catch (e) {
        if (e instanceof NoRespondersError) d.logger.info({ edgeId, notifications: items.length }, 'notifications not delivered: the edge is gone');
        else d.logger.warn({ err: e, edgeId, notifications: items.length }, 'notifications not handed to the edge');
      }
    }),
  );
}

/** Sends one notification; false when it could not be handed over (the connection or edge is gone). */
export async function sendOne(d: FedDeps, n: FedNotification): Promise<boolean> {
  try {
    return (await d.bus.request(edgeSend, n.dialog.edgeId, { ...request(d, n), connectionId: n.dialog.connectionId })).sent;
  } catch (e) {
    if (e instanceof NoRespondersError) return false;
    throw e;
  }
}

/** Ends a dialog: its record and its watcher record in the publisher's partition. */
export async function endFedDialog(d: FedDeps, p: Partition, dialogId: string, expect?: StoredRecord<FedDialogRecord>): Promise<boolean> {
  const dlg = expect ?? (await d.store.get<FedDialogRecord>(p, fedDialogs.name, dialogId));
  if (!dlg) return false;
  const r = await d.store.apply(p, [remove(fedDialogs, dialogId, { expect: dlg.version })]);
  if (!r.ok) return false;
  await d.store.apply({ pool: p.pool, user: dlg.value.publisher }, [remove(fedWatchers, fedWatchers.idOf({ pool: p.pool, subscriber: p.user, dialogId }))]);
  return true;
}
