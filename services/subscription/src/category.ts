import type { SipReply, SipRequestCommand } from '@presence/bus';
import {
  buildCategories,
  buildMultipart,
  buildRlmiList,
  CONTENT_TYPE,
  parseBatchSub,
  type MimePart,
  type RejectedResource,
} from '@presence/documents';
import { dialogTag, planAddSubscriber, sameAor, subscribableCategories, type SourceNetwork } from '@presence/presence';
import { commitAndAnnounce, header, normalizeAor, reply, type Pools, type UserDirectory } from '@presence/runtime';
import { param, parseNameAddr, parseParams, randomToken } from '@presence/sip';
import {
  dialogs,
  dialogSubscriptions,
  getRecord,
  listRecords,
  put,
  remove,
  subscribers,
  watchers,
  type DialogRecord,
  type DialogSubscriptionRecord,
  type Partition,
} from '@presence/state';
import type { SubscriptionConfig } from './config.js';
import { dialogsOf, endDialog } from './dialogs.js';
import { readPublisher, viewsFor } from './fanout.js';
import { mapInOrder } from './in-order.js';
import { notify, type NotifierDeps } from './notifier.js';
import { endIfSignedOut } from './signout.js';
import { cseqAfter, dialogFor, optionTags, piggybackHeaders, readSubscribe } from './subscribe-request.js';

export interface CategoryDeps extends NotifierDeps {
  readonly pool: string;
  readonly config: SubscriptionConfig;
  readonly directory: UserDirectory | undefined;
  readonly pools: Pools;
  readonly domains: readonly string[];
}

/**
 * Resources of one batch SUBSCRIBE worked on at once: enough to fill a Redis pipeline, few enough
 * that a 1,000-contact batch does not hold 1,000 resources' intermediate state at once.
 */
const RESOURCES_AT_ONCE = 32;

const RLMI_PART = [
  ['Content-Transfer-Encoding', 'binary'],
  ['Content-ID', 'resourceList'],
  ['Content-Type', 'application/rlmi+xml'],
] as const;

/** The source network of the subscriber ([MS-PRES] §3.4.5.1.3, [MS-SIPRE] 3.10.1.4): default sameEnterprise. */
function networkOf(cmd: SipRequestCommand): SourceNetwork {
  const trust = header(cmd, 'ms-edge-proxy-message-trust');
  const v = trust ? param(parseParams(trust), 'ms-source-network')?.toLowerCase() : undefined;
  return v === 'federation' || v === 'federated' ? 'federated' : v === 'publiccloud' ? 'publicCloud' : 'sameEnterprise';
}

type Classified = { accepted: true; uri: string } | { accepted: false; rejected: RejectedResource; status: number };

/**
 * Category SUBSCRIBE ([MS-PRES] §3.4.5.1): batch or single, polling or persistent, subscribe and
 * unsubscribe actions. The 200 is `multipart/related` with the rlmi list of rejected resources and
 * one `categories` part per accepted resource (§2.2.2.4.2), piggybacked when the client takes it,
 * else sent as the first NOTIFY right after the 200.
 */
export async function handleCategorySubscribe(d: CategoryDeps, cmd: SipRequestCommand): Promise<SipReply> {
  const req = readSubscribe(cmd, d.config.SUBSCRIBE_DEFAULT_EXPIRES);
  if (!req) return reply(400, 'Bad From or To');
  const { from, to, toTag, callId, cseq, requested, piggyback, benotify } = req;
  const require = optionTags(cmd, 'Require');
  const batch = require.has('adhoclist') && require.has('categorylist');
  // §3.4.5.3: a batch subscribes for oneself.
  if (batch && !sameAor(from, to)) return reply(403, 'From and To differ');
  const polling = requested === 0 && !toTag;
  const sp: Partition = { pool: d.pool, user: cmd.user };
  const now = d.now?.() ?? Date.now();

  let existing: { id: string; value: DialogRecord; version: number; expiresAt?: number } | undefined;
  if (toTag) {
    const id = dialogs.idOf({ callId, localTag: toTag } as DialogRecord);
    const rec = await getRecord(d.store, sp, dialogs, id);
    if (!rec || rec.value.event !== 'presence') return reply(481);
    existing = { id, value: rec.value, version: rec.version, ...(rec.expiresAt !== undefined ? { expiresAt: rec.expiresAt } : {}) };
    if (requested === 0) {
      await endDialog(d.store, sp, id);
      return reply(200, undefined, [{ name: 'Expires', value: '0' }, { name: 'subscription-state', value: 'terminated;expires=0' }]);
    }
  }
  if (!polling && requested < d.config.SUBSCRIBE_MIN_EXPIRES) {
    return reply(423, undefined, [{ name: 'Min-Expires', value: String(d.config.SUBSCRIBE_MIN_EXPIRES) }]);
  }
  if (cmd.body.trim() === '') return reply(400, 'Missing Body');
  const doc = parseBatchSub(cmd.body);
  if (!doc.ok) return reply(400, doc.error.message.slice(0, 120));
  const actions = doc.value;
  if (!batch) {
    // §3.4.5.1.1: a single subscription names one resource in one subscribe action, the To user.
    if (actions.length !== 1 || actions[0]!.resources.length !== 1 || actions[0]!.name !== 'subscribe') return reply(400, 'Single Subscription Needs One Resource And One Subscribe Action');
    if (!sameAor(actions[0]!.resources[0]!.uri, to)) return reply(400, 'Resource Is Not The To User');
  }

  const network = networkOf(cmd);
  const classify = async (uri: string): Promise<Classified> => {
    // A scheme-less `user@host` is the same user: older contact lists wrote their URIs that way.
    const aor = normalizeAor(/^[a-z][a-z0-9+.-]*:/i.test(uri.trim()) ? uri : `sip:${uri.trim()}`);
    const cid = uri.replace(/^sips?:/i, '');
    const domain = aor?.split('@')[1];
    // Another deployment: the client resubscribes with a single SUBSCRIBE to the resource (§3.4.5.1.3.1).
    if (!aor || !domain || !d.domains.map((x) => x.toLowerCase()).includes(domain)) {
      return { accepted: false, rejected: { uri, state: 'resubscribe', cid }, status: 403 };
    }
    if (d.directory && !d.directory.get(aor)) return { accepted: false, rejected: { uri, state: 'resubscribe', cid }, status: 404 };
    // Homed in another pool: the client subscribes there, through that pool's GRUU (§3.4.5.1.3.1).
    const home = await d.pools.home(aor);
    if (home !== d.pool) return { accepted: false, rejected: { uri, state: 'resubscribe', cid, poolFqdn: d.pools.gruu(home) }, status: 404 };
    const pp = { pool: d.pool, user: aor };
    // Only a publisher at its quota is listed in full: one already watching may refresh.
    const full = (await d.store.count(pp, watchers.name)) >= d.config.MAX_WATCHERS_PER_PUBLISHER;
    if (full && !(await listRecords(d.store, pp, watchers)).some((w) => w.value.subscriber === cmd.user)) {
      return { accepted: false, rejected: { uri, state: 'terminated', reason: 'quotaExceeded', statusCode: 413, cid }, status: 413 };
    }
    return { accepted: true, uri: aor };
  };

  const rejected: RejectedResource[] = [];
  const subscribe = new Map<string, { categories: Set<string>; context?: string }>();
  const unsubscribe = new Map<string, Set<string>>();
  // The resources classified concurrently (reads only), then taken in document order.
  const classified = await Promise.all(actions.map((a) => mapInOrder(a.resources, RESOURCES_AT_ONCE, (r) => classify(r.uri))));
  for (const [ai, a] of actions.entries()) {
    const cats = subscribableCategories(a.categories);
    for (const [ri, r] of a.resources.entries()) {
      const c = classified[ai]![ri]!;
      if (!c.accepted) {
        if (!batch) return reply(c.status);
        rejected.push(c.rejected);
        continue;
      }
      if (a.name === 'subscribe') {
        const entry = subscribe.get(c.uri) ?? { categories: new Set<string>() };
        for (const x of cats) entry.categories.add(x);
        if (r.context !== undefined) entry.context = r.context;
        subscribe.set(c.uri, entry);
      } else {
        const set = unsubscribe.get(c.uri) ?? new Set<string>();
        for (const x of a.categories) set.add(x);
        unsubscribe.set(c.uri, set);
      }
    }
  }

  // Limits: publishers per dialog, publishers watched per user (§3.4.5.1.3 step 1).
  const mine = await listRecords(d.store, sp, dialogSubscriptions);
  const onDialog = new Set(mine.filter((s) => existing && s.value.dialogId === existing.id).map((s) => s.value.publisher));
  for (const uri of subscribe.keys()) onDialog.add(uri);
  if (onDialog.size > d.config.MAX_CONTACTS_PER_DIALOG) return reply(413, 'Too Many Contacts On The Dialog');
  const watchedByUser = new Set(mine.map((s) => s.value.publisher));
  for (const uri of subscribe.keys()) watchedByUser.add(uri);
  if (watchedByUser.size > d.config.MAX_CATEGORY_SUBSCRIPTIONS_PER_USER) return reply(413, 'Too Many Category Subscriptions');

  const boundary = randomToken(16);
  const expires = Math.min(requested, d.config.SUBSCRIBE_MAX_EXPIRES);
  const createsNothing = !existing && subscribe.size === 0 && unsubscribe.size === 0;
  const terminated = polling || createsNothing;
  const localTag = existing?.value.localTag ?? dialogTag('subscription', randomToken(4));
  const dialogId = dialogs.idOf({ callId, localTag } as DialogRecord);

  // Persistent: the dialog first, then per publisher the (dialog, publisher) record, the watcher (so
  // later changes find us), and only then the data; see categoryFanOut for why this order.
  let dialog: DialogRecord | undefined;
  if (!terminated) {
    dialog = { ...dialogFor(cmd, req, 'presence', localTag, existing?.value), batch };
    for (let attempt = 0; ; attempt++) {
      const cur = existing ? await getRecord(d.store, sp, dialogs, dialogId) : undefined;
      if (existing && !cur) return reply(481);
      if (cur) dialog = { ...dialog, localCseq: cseqAfter(req, cur.value.localCseq) };
      const r = await d.store.apply(sp, [put(dialogs, dialog, { expect: cur?.version ?? 0, expiresAt: now + expires * 1000 })]);
      if (r.ok) break;
      if (attempt > 10) return reply(500, 'Concurrent Change, Retry');
    }
    // One batch dialog per endpoint: a new one ends the old with a terminating NOTIFY (§3.4.5.1.3 step 10).
    if (!existing && batch && cmd.epid) {
      for (const old of await dialogsOf(d.store, sp, (x) => x.event === 'presence' && x.batch === true && x.epid === cmd.epid)) {
        if (old.id === dialogId) continue;
        await notify(d, sp, old.id, undefined, undefined, 'terminated;reason=deactivated').catch(() => false);
        await endDialog(d.store, sp, old.id);
      }
    }
    for (const [uri, cats] of unsubscribe) {
      const subId = `${dialogId}|${uri}`;
      const cur = await getRecord(d.store, sp, dialogSubscriptions, subId);
      if (!cur) continue;
      const left = cur.value.categories.filter((c) => !cats.has(c));
      if (left.length === 0) {
        await d.store.apply(sp, [remove(dialogSubscriptions, subId)]);
        await d.store.apply({ pool: d.pool, user: uri }, [remove(watchers, watchers.idOf({ pool: d.pool, subscriber: cmd.user, dialogId } as never))]);
      } else {
        await d.store.apply(sp, [put(dialogSubscriptions, { ...cur.value, categories: left, seen: Object.fromEntries(Object.entries(cur.value.seen).filter(([k]) => left.includes(k))) })]);
      }
    }
  }

  // The resources concurrently (their records are distinct), RESOURCES_AT_ONCE at a time: a batch
  // of hundreds of contacts costs pipelined round trips instead of several sequential ones per
  // contact (issue 13: 1.6 million subscriptions took 18 minutes one contact at a time). Within a
  // resource the order stays: the (dialog, publisher) record, the watcher, then the data.
  const parts: MimePart[] = await mapInOrder([...subscribe], RESOURCES_AT_ONCE, async ([uri, entry]): Promise<MimePart> => {
    const cats = [...entry.categories];
    let written: { value: DialogSubscriptionRecord; version: number } | undefined;
    if (dialog) {
      const subId = `${dialogId}|${uri}`;
      const cur = await getRecord(d.store, sp, dialogSubscriptions, subId);
      const merged = [...new Set([...(cur?.value.categories ?? []), ...cats])];
      // The (dialog, publisher) record before the watcher: a fan-out that finds a watcher without its
      // record takes the watcher for a leftover of an ended dialog and removes it.
      const rec: DialogSubscriptionRecord = { dialogId, publisher: uri, categories: merged, seen: cur?.value.seen ?? {} };
      const r = await d.store.apply(sp, [put(dialogSubscriptions, rec)]);
      if (r.ok) written = { value: rec, version: r.versions[0]! };
      await d.store.apply({ pool: d.pool, user: uri }, [put(watchers, { subscriber: cmd.user, pool: d.pool, dialogId, categories: merged, network })]);
    }
    const state = await readPublisher(d, { pool: d.pool, user: uri });
    const views = viewsFor({ uri: cmd.user, network }, cats, state);
    if (dialog) {
      // Record what this answer shows, so the fan-out notifies only what changes after it: first
      // on the record just written, again on a fresh read if a fan-out changed it meanwhile.
      let cur = written;
      for (let attempt = 0; attempt < 10; attempt++) {
        cur ??= await getRecord(d.store, sp, dialogSubscriptions, `${dialogId}|${uri}`);
        if (!cur) break;
        const seen = { ...cur.value.seen };
        for (const c of cats) seen[c] = views.get(c)!.fingerprint;
        if ((await d.store.apply(sp, [put(dialogSubscriptions, { ...cur.value, seen }, { expect: cur.version })])).ok) break;
        cur = undefined;
      }
    }
    // §1.3.1.4: a context element adds the subscriber to the publisher's subscriber list.
    if (entry.context !== undefined && !polling) await addToSubscriberList(d, cmd, uri, entry.context, network);
    return {
      headers: [
        ['Content-Transfer-Encoding', 'binary'],
        ['Content-Type', CONTENT_TYPE.eventCategories],
      ],
      body: buildCategories(uri, cats.flatMap((c) => views.get(c)!.views)),
    };
  });

  // The endpoint signed out while this ran: nothing of the dialog stays (see signout.ts).
  if (dialog && (await endIfSignedOut(d, sp, cmd.epid, dialogId))) return reply(481, 'Endpoint Signed Out');
  const multipart = buildMultipart(boundary, [{ headers: RLMI_PART, body: buildRlmiList(cmd.user, rejected) }, ...parts]);
  const expiryHeaders = terminated
    ? [{ name: 'Expires', value: '0' }, { name: 'subscription-state', value: 'terminated;expires=0' }]
    : [{ name: 'Expires', value: String(expires) }, { name: 'subscription-state', value: `active;expires=${expires}` }];
  const common = [...expiryHeaders, { name: 'Require', value: 'eventlist' }, { name: 'Event', value: 'presence' }];
  if (terminated || piggyback) {
    return {
      status: 200,
      toTag: localTag,
      headers: [
        ...common,
        { name: 'Content-Type', value: multipart.contentType },
        // A body in a SUBSCRIBE response is read only when ms-piggyback-cseq names it: polling answers too.
        ...(piggyback || terminated ? piggybackHeaders(dialog?.localCseq ?? cseq, benotify) : []),
      ],
      body: multipart.body,
    };
  }
  // No piggybacking: the state goes in a NOTIFY right after the 200 (RFC 6665 §4.2.1.2).
  const cur = (await getRecord(d.store, sp, dialogs, dialogId))!;
  const first = cur.value.localCseq + 1;
  await d.store.apply(sp, [put(dialogs, { ...cur.value, localCseq: first }, { expect: cur.version, ...(cur.expiresAt !== undefined ? { expiresAt: cur.expiresAt } : {}) })]);
  return {
    status: 200,
    toTag: localTag,
    headers: common,
    followUps: [
      {
        pool: d.pool,
        method: 'NOTIFY',
        uri: dialog!.remoteTarget,
        headers: [
          { name: 'From', value: `<${cmd.user}>;tag=${localTag}` },
          { name: 'To', value: `<${cmd.user}>;tag=${dialog!.remoteTag}${dialog!.epid ? `;epid=${dialog!.epid}` : ''}` },
          { name: 'Call-ID', value: callId },
          { name: 'CSeq', value: `${first} NOTIFY` },
          { name: 'Event', value: 'presence' },
          { name: 'subscription-state', value: `active;expires=${expires}` },
          { name: 'Require', value: 'eventlist' },
          { name: 'Content-Type', value: multipart.contentType },
        ],
        body: multipart.body,
        ref: JSON.stringify([cmd.user, dialogId, first]),
      },
    ],
  };
}

async function addToSubscriberList(d: CategoryDeps, cmd: SipRequestCommand, publisher: string, context: string, network: SourceNetwork): Promise<void> {
  const pp: Partition = { pool: d.pool, user: publisher };
  const fromHeader = parseNameAddr(header(cmd, 'From') ?? '');
  const displayName = (fromHeader.ok ? fromHeader.value.displayName : undefined) ?? d.directory?.get(cmd.user)?.displayName ?? '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const add = planAddSubscriber(
      { user: cmd.user, displayName, acknowledged: false, sourceNetwork: network, ...(context !== '' ? { context } : {}) },
      await listRecords(d.store, pp, subscribers),
    );
    if (!add) return; // already listed: nothing changes, nobody is notified
    if ((await commitAndAnnounce({ ...d, pool: d.pool }, pp, [add], { subscribers: true })).ok) return;
  }
}
