import type { SipReply, SipRequestCommand } from '@presence/bus';
import { CONTENT_TYPE, parseRoamingList } from '@presence/documents';
import { sameAor } from '@presence/presence';
import { reply, type UserDirectory } from '@presence/runtime';
import { randomToken } from '@presence/sip';
import { dialogs, listRecords, put, remove, type DialogRecord, type Partition } from '@presence/state';
import type { SubscriptionConfig } from './config.js';
import { endDialog } from './dialogs.js';
import { notify, notifyHeaders, type NotifierDeps } from './notifier.js';
import { selfDocument } from './self-view.js';
import { dialogFor, readSubscribe } from './subscribe-request.js';

export const ROAMING_SELF = 'vnd-microsoft-roaming-self';

export interface SelfDeps extends NotifierDeps {
  readonly pool: string;
  readonly config: SubscriptionConfig;
  readonly directory: UserDirectory | undefined;
}

/**
 * Self subscription ([MS-PRES] §3.3.5.1): a roaming-self SUBSCRIBE creates, refreshes, re-scopes or
 * ends the endpoint's self dialog, and every successful one returns all data in scope: in the 200
 * when the client takes `ms-piggyback-first-notify`, else in a NOTIFY right after it.
 */
export async function handleSelfSubscribe(d: SelfDeps, cmd: SipRequestCommand): Promise<SipReply> {
  const r = readSubscribe(cmd, d.config.SUBSCRIBE_DEFAULT_EXPIRES);
  if (!r) return reply(400, 'Bad From or To');
  if (!sameAor(r.from, r.to)) {
    // §3.3.5.3: a configured To user gets 400, anyone else 404.
    return d.directory?.get(r.to) ? reply(400, 'From and To differ') : reply(404);
  }
  const p: Partition = { pool: d.pool, user: cmd.user };
  const { toTag, callId, requested, piggyback, benotify } = r;
  const now = d.now?.() ?? Date.now();

  // An existing dialog: refresh, re-scope, or unsubscribe (Expires: 0).
  let existing: { id: string; value: DialogRecord; version: number } | undefined;
  if (toTag) {
    const id = dialogs.idOf({ callId, localTag: toTag } as DialogRecord);
    existing = await d.store.get<DialogRecord>(p, dialogs.name, id).then((r) => r && { id, value: r.value, version: r.version });
    if (!existing || existing.value.event !== ROAMING_SELF) return reply(481);
    if (requested === 0) {
      await d.store.apply(p, [remove(dialogs, id)]);
      return reply(200, undefined, [{ name: 'Expires', value: '0' }]);
    }
  }
  if (requested !== 0 && requested < d.config.SUBSCRIBE_MIN_EXPIRES) {
    return reply(423, undefined, [{ name: 'Min-Expires', value: String(d.config.SUBSCRIBE_MIN_EXPIRES) }]);
  }
  const scope = parseRoamingList(cmd.body);
  if (!scope.ok) return reply(400, scope.error.message.slice(0, 120));
  const body = (await selfDocument(d.store, p, scope.value))!;
  const contentHeaders = [
    { name: 'Event', value: ROAMING_SELF },
    { name: 'Require', value: 'eventlist' },
    { name: 'Content-Type', value: CONTENT_TYPE.roamingSelf },
  ];

  // Polling (§3.4.5.1.2 applied to self): answer with the data and keep nothing.
  if (requested === 0) {
    return reply(200, undefined, [{ name: 'Expires', value: '0' }, { name: 'subscription-state', value: 'terminated;expires=0' }, ...contentHeaders], body);
  }

  const expires = Math.min(requested, d.config.SUBSCRIBE_MAX_EXPIRES);
  const localTag = existing?.value.localTag ?? randomToken(4).toUpperCase();
  const dialog: DialogRecord = { ...dialogFor(cmd, r, ROAMING_SELF, localTag, existing?.value), scope: [...scope.value] };
  const written = await d.store.apply(p, [put(dialogs, dialog, { ...(existing ? { expect: existing.version } : { expect: 0 }), expiresAt: now + expires * 1000 })]);
  if (!written.ok) return reply(500, 'Concurrent Change, Retry');

  // One self dialog per endpoint: a new one ends the old ones with a terminating NOTIFY (§3.3.5.1).
  if (!existing && cmd.epid) {
    const id = dialogs.idOf(dialog);
    for (const old of await listRecords(d.store, p, dialogs)) {
      if (old.id === id || old.value.event !== ROAMING_SELF || old.value.epid !== cmd.epid) continue;
      await notify(d, p, old.id, undefined, undefined, 'terminated;reason=deactivated').catch(() => false);
      await endDialog(d.store, p, old.id);
    }
  }

  const state = [{ name: 'Expires', value: String(expires) }, { name: 'subscription-state', value: `active;expires=${expires}` }];
  if (piggyback) {
    return {
      status: 200,
      toTag: localTag,
      headers: [
        ...state,
        ...contentHeaders,
        { name: 'ms-piggyback-cseq', value: String(dialog.localCseq) },
        { name: 'Supported', value: benotify ? 'ms-benotify, ms-piggyback-first-notify' : 'ms-piggyback-first-notify' },
      ],
      body,
    };
  }
  // Without piggybacking, the state goes in a NOTIFY sent right after the 200 (RFC 6665 §4.2.1.2).
  const first = dialog.localCseq + 1;
  await d.store.apply(p, [put(dialogs, { ...dialog, localCseq: first }, { expect: written.versions[0]!, expiresAt: now + expires * 1000 })]);
  const method = 'NOTIFY';
  return {
    status: 200,
    toTag: localTag,
    headers: [...state, { name: 'Event', value: ROAMING_SELF }],
    followUps: [
      {
        pool: d.pool,
        method,
        uri: dialog.remoteTarget,
        headers: notifyHeaders({ ...dialog, localCseq: first }, first, method, `active;expires=${expires}`, CONTENT_TYPE.roamingSelf),
        body,
        ref: JSON.stringify([cmd.user, dialogs.idOf(dialog), first]),
      },
    ],
  };
}
