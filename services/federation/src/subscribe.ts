import type { BusHeader, SipReply, SipRequestCommand } from '@presence/bus';
import { PIDF_CONTENT_TYPE } from '@presence/documents';
import { dialogTag, legacyFormat, sameAor, type SourceNetwork } from '@presence/presence';
import { aorOf, header, reply, type Pools } from '@presence/runtime';
import { param, parseNameAddr, parseParams, randomToken } from '@presence/sip';
import { put, type Partition, type StoredRecord } from '@presence/state';
import type { FederationConfig } from './config.js';
import { endFedDialog, fedRef, toValue, type FedDeps } from './notify.js';
import { endpointOf } from './endpoint.js';
import { fedDialogs, fedWatchers, type FedDialogKind, type FedDialogRecord } from './records.js';
import { addToSubscriberList } from './subscriber-list.js';
import { PublisherDocs, readPublisher, type Doc } from './views.js';

export interface SubscribeDeps extends FedDeps {
  readonly config: FederationConfig;
  readonly domains: readonly string[];
  readonly pools: Pools;
}

/** The values of every occurrence of a header, split at commas, lower-cased. */
function tokens(cmd: SipRequestCommand, name: string): string[] {
  const l = name.toLowerCase();
  return cmd.headers
    .filter((h) => h.name.toLowerCase() === l)
    .flatMap((h) => h.value.split(','))
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t !== '');
}

/**
 * The subscriber's source network ([MS-PRES] §3.4.5.1.3): what the edge of the deployment says
 * (`ms-edge-proxy-message-trust`), else federated for a user of a domain this server does not serve.
 */
function networkOf(cmd: SipRequestCommand, domains: readonly string[]): SourceNetwork {
  const trust = header(cmd, 'ms-edge-proxy-message-trust');
  const v = trust ? param(parseParams(trust), 'ms-source-network')?.toLowerCase() : undefined;
  if (v === 'federation' || v === 'federated') return 'federated';
  if (v === 'publiccloud') return 'publicCloud';
  const domain = cmd.user.split('@')[1]?.toLowerCase() ?? '';
  return domains.some((x) => x.toLowerCase() === domain) ? 'sameEnterprise' : 'federated';
}

/**
 * Takes the dialog's next NOTIFY CSeq with the document of the current state ([MS-PRES] §3.7.5.4):
 * the dialog record is read before the publisher's data and the CSeq and fingerprint are committed
 * with a compare-and-set on it, as the fan-out does, so a document of older data never gets a
 * later CSeq than one of newer data. `atLeast`: the CSeq a piggybacked 200 must use (§4.11).
 */
export async function takeDocument(
  d: FedDeps,
  sp: Partition,
  dialogId: string,
  atLeast = 0,
): Promise<{ dialog: StoredRecord<FedDialogRecord>; cseq: number; doc: Doc } | undefined> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const cur = await d.store.get<FedDialogRecord>(sp, fedDialogs.name, dialogId);
    if (!cur) return undefined;
    const data = await readPublisher(d.store, { pool: d.pool, user: cur.value.publisher });
    const doc = new PublisherDocs(cur.value.publisher, data, d.directory).of(cur.value);
    const cseq = Math.max(atLeast, cur.value.localCseq + 1);
    const value = { ...cur.value, localCseq: cseq, seen: doc.fingerprint, sent: cur.value.sent + 1 };
    const r = await d.store.apply(sp, [put(fedDialogs, value, { expect: cur.version, keepExpiry: true })]);
    if (r.ok) return { dialog: { ...cur, value, version: r.versions[0]! }, cseq, doc };
  }
  throw new Error(`could not take a CSeq on dialog ${dialogId}`);
}

/** A 200 that either carries the document (ms-piggyback-first-notify, [MS-SIP] §3.4.5.1) or is followed by a NOTIFY of it. */
function answer(d: FedDeps, taken: { dialog: StoredRecord<FedDialogRecord>; cseq: number; doc: Doc }, dialogId: string, state: string, headers: BusHeader[], piggyback: boolean): SipReply {
  const { dialog, cseq, doc } = taken;
  const event = { name: 'Event', value: dialog.value.kind === 'winfo' ? 'presence.winfo' : 'presence' };
  if (piggyback) {
    return {
      status: 200,
      toTag: dialog.value.localTag,
      headers: [
        ...headers,
        { name: 'Content-Type', value: doc.contentType },
        event,
        { name: 'subscription-state', value: state },
        { name: 'ms-piggyback-cseq', value: String(cseq) },
        { name: 'Supported', value: 'ms-piggyback-first-notify' },
      ],
      body: doc.body,
    };
  }
  const v = dialog.value;
  return {
    status: 200,
    toTag: v.localTag,
    headers,
    // RFC 6665 §4.2.1.2: the NOTIFY follows the 200 on the same connection, never ahead of it.
    followUps: [
      {
        pool: d.pool,
        method: 'NOTIFY',
        uri: v.remoteTarget,
        headers: [
          { name: 'From', value: `<${v.publisher}>;tag=${v.localTag}` },
          { name: 'To', value: toValue(v) },
          { name: 'Call-ID', value: v.callId },
          { name: 'CSeq', value: `${cseq} NOTIFY` },
          event,
          { name: 'subscription-state', value: state },
          { name: 'Content-Type', value: doc.contentType },
        ],
        body: doc.body,
        ref: fedRef(v.subscriber, dialogId, cseq),
        ...(cseq > 1 ? { prevCseq: cseq - 1 } : {}),
      },
    ],
  };
}

/**
 * SUBSCRIBE `Event: presence` without enhanced presence ([MS-PRES] §3.7.5.1, §3.7.5.2) and
 * `Event: presence.winfo` (RFC 3857): new dialogs, refreshes, unsubscribes and polls.
 */
export async function handleSubscribe(d: SubscribeDeps, cmd: SipRequestCommand): Promise<SipReply> {
  const from = aorOf(cmd, 'From');
  const to = aorOf(cmd, 'To');
  if (!from || !to) return reply(400, 'Bad From or To');
  const toHeader = parseNameAddr(header(cmd, 'To') ?? '');
  const fromHeader = parseNameAddr(header(cmd, 'From') ?? '');
  const toTag = toHeader.ok ? param(toHeader.value.params, 'tag') : undefined;
  const fromTag = fromHeader.ok ? param(fromHeader.value.params, 'tag') : undefined;
  const callId = header(cmd, 'Call-ID');
  const expiresText = header(cmd, 'Expires');
  if (!fromTag || !callId) return reply(400, 'Missing From Tag Or Call-ID');
  if (expiresText !== undefined && !/^\d{1,10}$/.test(expiresText.trim())) return reply(400, 'Bad Expires');
  const requested = expiresText === undefined ? d.config.SUBSCRIBE_DEFAULT_EXPIRES : Number(expiresText);
  const piggyback = tokens(cmd, 'Supported').includes('ms-piggyback-first-notify');
  const sp: Partition = { pool: d.pool, user: cmd.user };
  const now = d.now?.() ?? Date.now();

  if (toTag) {
    const dialogId = fedDialogs.idOf({ callId, localTag: toTag } as FedDialogRecord);
    const cur = await d.store.get<FedDialogRecord>(sp, fedDialogs.name, dialogId);
    if (!cur) return reply(481);
    if (requested === 0) {
      // RFC 6665 §4.2.1.4: an unsubscribe gets a final NOTIFY with the state as it is.
      const taken = await takeDocument(d, sp, dialogId);
      await endFedDialog(d, sp, dialogId);
      if (!taken) return reply(481);
      return answer(d, taken, dialogId, 'terminated', [{ name: 'Expires', value: '0' }], false);
    }
    if (requested < d.config.SUBSCRIBE_MIN_EXPIRES) return reply(423, undefined, [{ name: 'Min-Expires', value: String(d.config.SUBSCRIBE_MIN_EXPIRES) }]);
    const expires = Math.min(requested, d.config.SUBSCRIBE_MAX_EXPIRES);
    // A refresh may come over another connection (the client reconnected): NOTIFYs follow it.
    const contact = parseNameAddr(header(cmd, 'Contact') ?? '');
    const moved = { ...cur.value, edgeId: cmd.edgeId, connectionId: cmd.connectionId, ...(contact.ok ? { remoteTarget: contact.value.uri } : {}) };
    const r = await d.store.apply(sp, [put(fedDialogs, moved, { expect: cur.version, expiresAt: now + expires * 1000 })]);
    if (!r.ok) return reply(500, 'Concurrent Refresh, Retry');
    const taken = await takeDocument(d, sp, dialogId);
    if (!taken) return reply(481);
    return answer(d, taken, dialogId, `active;expires=${expires}`, [{ name: 'Expires', value: String(expires) }], piggyback && cur.value.kind === 'msrtc');
  }

  const event = (header(cmd, 'Event') ?? '').split(';')[0]!.trim().toLowerCase();
  const accept = tokens(cmd, 'Accept');
  let kind: FedDialogKind | undefined;
  if (event === 'presence.winfo') {
    // RFC 3857 §3.2: a user may see who watches them, nobody else.
    if (!sameAor(to, cmd.user)) return reply(403, 'Only Your Own Watcher Info');
    kind = accept.length === 0 || accept.some((a) => a.split(';')[0] === PIDF_CONTENT_TYPE.watcherinfo) ? 'winfo' : undefined;
  } else {
    kind = legacyFormat(accept);
  }
  if (!kind) return reply(406, undefined, [{ name: 'Accept', value: event === 'presence.winfo' ? PIDF_CONTENT_TYPE.watcherinfo : `${PIDF_CONTENT_TYPE.msrtc}, ${PIDF_CONTENT_TYPE.pidf}` }]);
  // [MS-PRES] §2.2.2.8.1: a PIDF SUBSCRIBE carries no Require (digest DECISION: 420, RFC 3261 §8.2.2.3).
  const required = tokens(cmd, 'Require');
  if (kind === 'pidf' && required.length > 0) return reply(420, undefined, [{ name: 'Unsupported', value: required.join(', ') }]);
  // §2.2.2.8.1, §2.2.2.9.1, RFC 6665 §4.1.2.1: the Contact is the dialog's remote target, so it must be usable.
  const contact = parseNameAddr(header(cmd, 'Contact') ?? '');
  if (!contact.ok) return reply(400, 'Missing Or Bad Contact');
  const domain = to.split('@')[1] ?? '';
  if (!d.domains.some((x) => x.toLowerCase() === domain)) return reply(404, 'Not A Domain Of This Server');
  if (d.directory && !d.directory.get(to)) return reply(404);
  const polling = requested === 0;
  if (!polling && requested < d.config.SUBSCRIBE_MIN_EXPIRES) return reply(423, undefined, [{ name: 'Min-Expires', value: String(d.config.SUBSCRIBE_MIN_EXPIRES) }]);
  const expires = polling ? 0 : Math.min(requested, d.config.SUBSCRIBE_MAX_EXPIRES);
  const pp: Partition = { pool: d.pool, user: to };
  // Bounded tables: dialogs watching one user, and dialogs one user holds (the subscription service's limits, same names).
  if (!polling && (await d.store.count(pp, fedWatchers.name)) >= d.config.MAX_WATCHERS_PER_PUBLISHER) return reply(413, 'Too Many Watchers');
  if (!polling && (await d.store.count(sp, fedDialogs.name)) >= d.config.MAX_CATEGORY_SUBSCRIPTIONS_PER_USER) return reply(413, 'Too Many Subscriptions');

  const dialog: FedDialogRecord = {
    callId,
    localTag: dialogTag('federation', randomToken(4)),
    remoteTag: fromTag,
    event,
    subscriber: cmd.user,
    epid: await endpointOf(d.store, { pool: await d.pools.home(cmd.user), user: cmd.user }, cmd),
    edgeId: cmd.edgeId,
    connectionId: cmd.connectionId,
    remoteTarget: contact.value.uri,
    routeSet: [],
    localCseq: 0,
    benotify: false,
    kind,
    publisher: to,
    network: networkOf(cmd, d.domains),
    seen: '',
    sent: 0,
    epidInFrom: Boolean(cmd.epid),
  };
  const dialogId = fedDialogs.idOf(dialog);
  const piggybacks = piggyback && kind === 'msrtc';
  if (polling) {
    // A poll (RFC 6665 §4.4.3): one document, no dialog kept. It is built from the data as read now.
    const doc = new PublisherDocs(to, await readPublisher(d.store, pp), d.directory).of(dialog);
    const taken = { dialog: { id: dialogId, version: 0, value: dialog }, cseq: piggybacks ? Number((header(cmd, 'CSeq') ?? '1').split(/\s+/)[0]) || 1 : 1, doc };
    return answer(d, taken, dialogId, 'terminated;reason=timeout', [{ name: 'Expires', value: '0' }], piggybacks);
  }
  // The watcher record is there before the first document is computed: a change committed after
  // that computation finds the dialog and notifies it (with a later CSeq, sent after the 200).
  const created = await d.store.apply(sp, [put(fedDialogs, dialog, { expect: 0, expiresAt: now + expires * 1000 })]);
  if (!created.ok) return reply(481, 'Dialog Exists');
  await d.store.apply(pp, [put(fedWatchers, { subscriber: cmd.user, pool: d.pool, dialogId })]);
  // §3.7.5.3: a PIDF or MSRTC subscriber enters the subscriber list, never to be removed by a later SUBSCRIBE.
  if (kind !== 'winfo') {
    const fromName = parseNameAddr(header(cmd, 'From') ?? '');
    await addToSubscriberList(d, pp, { user: cmd.user, network: dialog.network, ...(fromName.ok && fromName.value.displayName ? { displayName: fromName.value.displayName } : {}) });
  }
  const cseq = Number((header(cmd, 'CSeq') ?? '1').split(/\s+/)[0]) || 1;
  const taken = await takeDocument(d, sp, dialogId, piggybacks ? cseq : 0);
  if (!taken) return reply(481);
  return answer(d, taken, dialogId, `active;expires=${expires}`, [{ name: 'Expires', value: String(expires) }], piggybacks);
}
