import { secondsLeft } from '@presence/presence';
import { edgeSend, NoRespondersError, type Bus, type BusHeader } from '@presence/bus';
import type { Pools } from '@presence/runtime';
import { dialogs, getRecord, put, registrations, type DialogRecord, type Partition, type Store, type StoredRecord } from '@presence/state';
import type { Logger } from '@presence/telemetry';
import { endDialog } from './dialogs.js';

export interface NotifierDeps {
  readonly store: Store;
  readonly bus: Bus;
  readonly logger: Logger;
  readonly pools: Pools;
  readonly now?: () => number;
}

/** The headers of a NOTIFY/BENOTIFY on a dialog ([MS-PRES] §2.2.2.3.3, RFC 6665 §4.2.1.3). */
export function notifyHeaders(d: DialogRecord, cseq: number, method: string, state: string, contentType?: string): BusHeader[] {
  return [
    { name: 'From', value: `<${d.subscriber}>;tag=${d.localTag}` },
    { name: 'To', value: `<${d.subscriber}>;tag=${d.remoteTag}${d.epid ? `;epid=${d.epid}` : ''}` },
    { name: 'Call-ID', value: d.callId },
    { name: 'CSeq', value: `${cseq} ${method}` },
    { name: 'Event', value: d.event },
    { name: 'subscription-state', value: state },
    ...(contentType ? [{ name: 'Require', value: 'eventlist' }, { name: 'Content-Type', value: contentType }] : []),
  ];
}

/** The outcome reference of a NOTIFY: which dialog of which user, and its CSeq. */
export function notifyRef(user: string, dialogId: string, cseq: number): string {
  return JSON.stringify([user, dialogId, cseq]);
}

export function parseNotifyRef(ref: string): { user: string; dialogId: string; cseq: number } | undefined {
  try {
    const [user, dialogId, cseq] = JSON.parse(ref) as [string, string, number];
    return typeof user === 'string' && typeof dialogId === 'string' ? { user, dialogId, cseq } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the dialog's next NOTIFY CSeq with a compare-and-set, so that notifications on one dialog
 * get strictly increasing CSeqs even from several subscription-service instances.
 */
async function nextCseq(store: Store, p: Partition, dialogId: string): Promise<{ dialog: StoredRecord<DialogRecord>; cseq: number } | undefined> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const cur = await store.get<DialogRecord>(p, dialogs.name, dialogId);
    if (!cur) return undefined;
    const cseq = cur.value.localCseq + 1;
    // keepExpiry: a NOTIFY is no refresh; the dialog's expiry entry stays as it is (issue 13).
    const r = await store.apply(p, [put(dialogs, { ...cur.value, localCseq: cseq }, { expect: cur.version, keepExpiry: true })]);
    if (r.ok) return { dialog: { ...cur, version: r.versions[0]!, value: { ...cur.value, localCseq: cseq } }, cseq };
  }
  throw new Error(`could not take a CSeq on dialog ${dialogId}`);
}

/**
 * Hands a numbered request on a dialog to the edge holding its connection. `edge-gone`: no edge
 * answers for the dialog's edge id (it died), as opposed to an edge that no longer has the connection.
 */
async function handToEdge(
  d: NotifierDeps,
  p: Partition,
  dialogId: string,
  dialog: DialogRecord,
  cseq: number,
  method: 'NOTIFY' | 'BENOTIFY',
  state: string,
  body: string,
  contentType: string | undefined,
): Promise<'sent' | 'not-sent' | 'edge-gone'> {
  return d.bus
    .request(edgeSend, dialog.edgeId, {
      pool: p.pool,
      connectionId: dialog.connectionId,
      method,
      uri: dialog.remoteTarget,
      headers: notifyHeaders(dialog, cseq, method, state, contentType),
      body,
      ref: notifyRef(p.user, dialogId, cseq),
      prevCseq: cseq - 1,
    })
    .then((r) => (r.sent ? ('sent' as const) : ('not-sent' as const)))
    .catch((e: unknown) => {
      if (e instanceof NoRespondersError) return 'edge-gone' as const;
      throw e;
    });
}

/** Seconds left of a subscription, for `subscription-state: active;expires=` (RFC 6665 §4.1.3). */
export const remainingSeconds = (d: NotifierDeps, expiresAt: number | undefined): number => secondsLeft(d.now?.() ?? Date.now(), expiresAt);

/**
 * Sends a notification on a dialog through the edge that holds its connection: BENOTIFY when the
 * client takes it, else NOTIFY (whose outcome comes back as `notify-outcome`). A connection that is
 * gone ends the dialog.
 */
export async function notify(
  d: NotifierDeps,
  p: Partition,
  dialogId: string,
  body: string | undefined,
  contentType: string | undefined,
  terminated?: string,
): Promise<boolean> {
  const taken = await nextCseq(d.store, p, dialogId);
  if (!taken) return false;
  const { dialog, cseq } = taken;
  const method = dialog.value.benotify && !terminated ? 'BENOTIFY' : 'NOTIFY';
  const state = terminated ?? `active;expires=${remainingSeconds(d, dialog.expiresAt)}`;
  const outcome = await handToEdge(d, p, dialogId, dialog.value, cseq, method, state, body ?? '', contentType);
  if (outcome === 'sent') return true;
  // The edge that held the connection died: the client reconnects to another edge, re-registers and
  // refreshes its dialogs there ([DESIGN] Pools, edges). Keep the dialog while the endpoint is still
  // registered, so the refresh finds it; the endpoint's expiry (endpoint-gone) ends it otherwise.
  if (outcome === 'edge-gone' && !terminated && (await endpointRegistered(d, dialog.value))) {
    d.logger.info({ user: p.user, dialogId, edgeId: dialog.value.edgeId }, 'notification not delivered: the edge is gone; the dialog waits for its endpoint');
    return false;
  }
  await endDialog(d.store, p, dialogId);
  d.logger.info({ user: p.user, dialogId }, 'dialog ended: its connection is gone');
  return false;
}

async function endpointRegistered(d: NotifierDeps, dialog: DialogRecord): Promise<boolean> {
  const home = await d.pools.home(dialog.subscriber);
  return (await getRecord(d.store, { pool: home, user: dialog.subscriber }, registrations, dialog.epid)) !== undefined;
}
