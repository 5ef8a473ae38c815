import type { BusHeader, SipReply, SipRequestCommand } from '@presence/bus';
import { dialogTag, sameAor } from '@presence/presence';
import { reply, type UserDirectory } from '@presence/runtime';
import { randomToken } from '@presence/sip';
import { dialogs, listRecords, put, remove, type DialogRecord, type Partition } from '@presence/state';
import type { SubscriptionConfig } from './config.js';
import { endDialog } from './dialogs.js';
import { notify, notifyHeaders, type NotifierDeps } from './notifier.js';
import { endIfSignedOut } from './signout.js';
import { dialogFor, piggybackHeaders, readSubscribe } from './subscribe-request.js';

export interface OwnSubscriptionDeps extends NotifierDeps {
  readonly pool: string;
  readonly config: SubscriptionConfig;
  readonly directory: UserDirectory | undefined;
}

/** One event package on the user's own URI: roaming-self, roaming-contacts, provisioning. */
export interface OwnPackage {
  readonly event: string;
  readonly contentType: string;
  /** Headers that go with every document of the package besides Event and Content-Type. */
  readonly headers?: readonly BusHeader[];
  /** Reads the request body into dialog fields; a string is the reason of a 400. */
  readonly read?: (cmd: SipRequestCommand) => Partial<DialogRecord> | string;
  /** The document the subscriber gets now: everything in its scope. */
  readonly document: (d: OwnSubscriptionDeps, p: Partition, fields: Partial<DialogRecord>) => Promise<string>;
  /** Whether an endpoint holds one dialog of this package: a new one ends its older ones. */
  readonly onePerEndpoint: boolean;
}

/**
 * A SUBSCRIBE to the user's own URI (roaming-self [MS-PRES] §3.3.5.1; roaming-contacts [MS-SIP]
 * §3.7.4.1; provisioning): creates, refreshes or ends the endpoint's dialog, and every successful one
 * returns the whole document: in the 200 when the client takes `ms-piggyback-first-notify`, else in
 * a NOTIFY right after it. `Expires: 0` without a dialog is polling: the document, nothing kept.
 */
export async function handleOwnSubscribe(d: OwnSubscriptionDeps, cmd: SipRequestCommand, pkg: OwnPackage): Promise<SipReply> {
  const r = readSubscribe(cmd, d.config.SUBSCRIBE_DEFAULT_EXPIRES);
  if (!r) return reply(400, 'Bad From or To');
  if (!sameAor(r.from, r.to)) {
    // [MS-PRES] §3.3.5.3: a configured To user gets 400, anyone else 404.
    return d.directory?.get(r.to) ? reply(400, 'From and To differ') : reply(404);
  }
  const p: Partition = { pool: d.pool, user: cmd.user };
  const { toTag, callId, requested, piggyback, benotify } = r;
  const now = d.now?.() ?? Date.now();

  // An existing dialog: refresh, re-scope, or unsubscribe (Expires: 0).
  let existing: { id: string; value: DialogRecord; version: number } | undefined;
  if (toTag) {
    const id = dialogs.idOf({ callId, localTag: toTag } as DialogRecord);
    existing = await d.store.get<DialogRecord>(p, dialogs.name, id).then((x) => x && { id, value: x.value, version: x.version });
    if (!existing || existing.value.event !== pkg.event) return reply(481);
    if (requested === 0) {
      await d.store.apply(p, [remove(dialogs, id)]);
      return reply(200, undefined, [{ name: 'Expires', value: '0' }]);
    }
  }
  if (requested !== 0 && requested < d.config.SUBSCRIBE_MIN_EXPIRES) {
    return reply(423, undefined, [{ name: 'Min-Expires', value: String(d.config.SUBSCRIBE_MIN_EXPIRES) }]);
  }
  const fields = pkg.read ? pkg.read(cmd) : {};
  if (typeof fields === 'string') return reply(400, fields.slice(0, 120));
  const body = await pkg.document(d, p, fields);
  const contentHeaders = [{ name: 'Event', value: pkg.event }, ...(pkg.headers ?? []), { name: 'Content-Type', value: pkg.contentType }];

  if (requested === 0) {
    // Polling: the document is in the 200, and Lync-family clients read a body in a SUBSCRIBE
    // response only when ms-piggyback-cseq names it ([MS-SIP] 2.2.4; the CSeq of the request, as
    // for a new dialog in [MS-PRES] §4.5). Provisioning is always polled this way.
    return reply(200, undefined, [{ name: 'Expires', value: '0' }, { name: 'subscription-state', value: 'terminated;expires=0' }, ...contentHeaders, ...piggybackHeaders(r.cseq, benotify)], body);
  }

  const expires = Math.min(requested, d.config.SUBSCRIBE_MAX_EXPIRES);
  const localTag = existing?.value.localTag ?? dialogTag('subscription', randomToken(4));
  const dialog: DialogRecord = { ...dialogFor(cmd, r, pkg.event, localTag, existing?.value), ...fields };
  const written = await d.store.apply(p, [put(dialogs, dialog, { ...(existing ? { expect: existing.version } : { expect: 0 }), expiresAt: now + expires * 1000 })]);
  if (!written.ok) return reply(500, 'Concurrent Change, Retry');

  if (!existing && cmd.epid && pkg.onePerEndpoint) {
    const id = dialogs.idOf(dialog);
    for (const old of await listRecords(d.store, p, dialogs)) {
      if (old.id === id || old.value.event !== pkg.event || old.value.epid !== cmd.epid) continue;
      await notify(d, p, old.id, undefined, undefined, 'terminated;reason=deactivated').catch(() => false);
      await endDialog(d.store, p, old.id);
    }
  }

  if (await endIfSignedOut(d, p, cmd.epid, dialogs.idOf(dialog))) return reply(481, 'Endpoint Signed Out');
  const state = [{ name: 'Expires', value: String(expires) }, { name: 'subscription-state', value: `active;expires=${expires}` }];
  if (piggyback) {
    return {
      status: 200,
      toTag: localTag,
      headers: [
        ...state,
        ...contentHeaders,
        ...piggybackHeaders(dialog.localCseq, benotify),
      ],
      body,
    };
  }
  // Without piggybacking, the document goes in a NOTIFY sent right after the 200 (RFC 6665 §4.2.1.2).
  const first = dialog.localCseq + 1;
  await d.store.apply(p, [put(dialogs, { ...dialog, localCseq: first }, { expect: written.versions[0]!, expiresAt: now + expires * 1000 })]);
  const method = 'NOTIFY';
  return {
    status: 200,
    toTag: localTag,
    headers: [...state, { name: 'Event', value: pkg.event }],
    followUps: [
      {
        pool: d.pool,
        method,
        uri: dialog.remoteTarget,
        headers: notifyHeaders({ ...dialog, localCseq: first }, first, method, `active;expires=${expires}`, pkg.contentType),
        body,
        ref: JSON.stringify([cmd.user, dialogs.idOf(dialog), first]),
      },
    ],
  };
}
