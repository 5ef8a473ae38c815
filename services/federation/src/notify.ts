import { secondsLeft } from '@presence/presence';
import { edgeSend, NoRespondersError, type Bus, type BusHeader } from '@presence/bus';
import { handToEdges, type EdgeBound, type UserDirectory } from '@presence/runtime';
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
  return secondsLeft(d.now?.() ?? Date.now(), expiresAt);
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

/**
 * The request to the edge holding the dialog's connection; `prevCseq` keeps a dialog's NOTIFYs in
 * CSeq order at the edge. Built whole in one literal (a fan-out makes one per dialog: no copies).
 */
export function request(d: FedDeps, n: FedNotification): EdgeBound {
  return {
    edgeId: n.dialog.edgeId,
    connectionId: n.dialog.connectionId,
    pool: d.pool,
    method: 'NOTIFY',
    uri: n.dialog.remoteTarget,
    headers: notifyHeaders(n.dialog, n.cseq, n.state, n.contentType),
    body: n.body,
    ref: fedRef(n.dialog.subscriber, n.dialogId, n.cseq),
    prevCseq: n.cseq - 1,
  };
}

/**
 * Hands committed notifications to the edges holding their connections (one `send-batch` per
 * edge: {@link handToEdges} of the runtime). A dialog whose connection the edge no longer holds
 * ends (RFC 6665 §4.2.2); a failed hand-off is logged: the CSeqs are committed.
 */
export async function handNotifications(d: FedDeps, list: readonly FedNotification[]): Promise<void> {
  const outcome = await handToEdges(d.bus, d.logger, list.map((n) => request(d, n)));
  const gone = list.filter((_, i) => outcome[i] === false);
  for (const n of gone) await endFedDialog(d, { pool: d.pool, user: n.dialog.subscriber }, n.dialogId);
  if (gone.length > 0) d.logger.info({ dialogs: gone.length }, 'dialogs ended: their connections are gone');
}

/** Sends one notification; false when it could not be handed over (the connection or edge is gone). */
export async function sendOne(d: FedDeps, n: FedNotification): Promise<boolean> {
  try {
    const { edgeId, ...req } = request(d, n);
    return (await d.bus.request(edgeSend, edgeId, req)).sent;
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
