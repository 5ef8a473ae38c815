import { sipRequestCommands, type Bus, type BusHeader, type SipReply, type SipServiceName } from '@presence/bus';
import {
  buildBatchSubscribe,
  buildClientPublish,
  buildContactSoap,
  buildEmptyPublish,
  buildSetContainer,
  CONTENT_TYPE,
  parseNotifiedCategories,
  type ClientContactOp,
  type ContainerMemberChange,
  type NotePublication,
  type NotifiedPresentity,
  type StatePublication,
} from '@presence/documents';
import type { Pools } from '@presence/runtime';
import { newId } from './tokens.js';
import { UnavailableError } from './problems.js';

/** Categories a web watcher subscribes to ([MS-PRES] §3.4.5.1.2). */
export const WATCHED_CATEGORIES = ['state', 'note', 'contactCard'] as const;

/** Who sends: the signed-in user, their web endpoint, and the connection NOTIFYs for it come back on. */
export interface Sender {
  readonly user: string;
  readonly epid: string;
  readonly connectionId: string;
}

/** A category dialog the web endpoint holds (for refreshing and ending it). */
export interface CategoryDialog {
  readonly callId: string;
  readonly fromTag: string;
  readonly toTag: string;
  readonly pool: string;
  cseq: number;
}

/**
 * The web session as an endpoint ([DESIGN] one presence core, many protocol edges): it sends the
 * services the same requests a Lync client's edge hands them (`sipRequestCommands`), so ACLs,
 * aggregation, deltaNum rules and fan-out apply unchanged. Its edge id is the web instance's own.
 */
export class WebEndpoint {
  constructor(
    private readonly bus: Bus,
    private readonly pools: Pools,
    readonly edgeId: string,
    private readonly budgetMs: number,
  ) {}

  private headers(s: Sender, o: { to: string; callId: string; cseq: number; method: string; fromTag: string; toTag?: string; extra?: BusHeader[] }): BusHeader[] {
    return [
      { name: 'From', value: `<${s.user}>;tag=${o.fromTag};epid=${s.epid}` },
      { name: 'To', value: `<${o.to}>${o.toTag ? `;tag=${o.toTag}` : ''}` },
      { name: 'Call-ID', value: o.callId },
      { name: 'CSeq', value: `${o.cseq} ${o.method}` },
      { name: 'Contact', value: `<${s.user};opaque=user:epid:${s.epid};gruu>` },
      { name: 'User-Agent', value: 'presence-web' },
      ...(o.extra ?? []),
    ];
  }

  async send(service: SipServiceName, pool: string, s: Sender, o: { method: string; uri: string; to: string; callId?: string; cseq?: number; fromTag?: string; toTag?: string; headers?: BusHeader[]; body?: string }): Promise<SipReply> {
    const callId = o.callId ?? newId();
    try {
      return await this.bus.request(sipRequestCommands[service], pool, {
        method: o.method,
        uri: o.uri,
        headers: this.headers(s, { to: o.to, callId, cseq: o.cseq ?? 1, method: o.method, fromTag: o.fromTag ?? newId(6), ...(o.toTag ? { toTag: o.toTag } : {}), ...(o.headers ? { extra: o.headers } : {}) }),
        body: o.body ?? '',
        user: s.user,
        epid: s.epid,
        edgeId: this.edgeId,
        connectionId: s.connectionId,
        transport: 'web',
        budgetMs: this.budgetMs,
      });
    } catch (e) {
      throw new UnavailableError(`the ${service} service did not answer`, { cause: e });
    }
  }

  /** A category publish ([MS-PRES] §3.2.5.1) of the endpoint's state and note instances. */
  async publish(s: Sender, states: readonly StatePublication[], notes: readonly NotePublication[], noteInstance: string): Promise<SipReply> {
    const pool = await this.pools.home(s.user);
    return this.send('publication', pool, s, {
      method: 'SERVICE',
      uri: s.user,
      to: s.user,
      headers: [{ name: 'Content-Type', value: CONTENT_TYPE.publish }],
      // An empty text removes the note instance ([MS-PRES] §3.2.5.1.4).
      body: buildClientPublish(s.user, states, notes.map((n) => (n.text === '' ? { ...n, remove: true } : n)), noteInstance),
    });
  }

  /** Empty static instances of `categories` in `container` (the blocked container's placeholders). */
  async publishEmpty(s: Sender, container: number, categories: readonly string[]): Promise<SipReply> {
    return this.send('publication', await this.pools.home(s.user), s, {
      method: 'SERVICE',
      uri: s.user,
      to: s.user,
      headers: [{ name: 'Content-Type', value: CONTENT_TYPE.publish }],
      body: buildEmptyPublish(s.user, container, categories),
    });
  }

  /** setContainerMembers ([MS-PRES] §3.5.5.1). */
  async setContainer(s: Sender, id: number, version: number, changes: readonly ContainerMemberChange[]): Promise<SipReply> {
    return this.send('publication', await this.pools.home(s.user), s, {
      method: 'SERVICE',
      uri: s.user,
      to: s.user,
      headers: [{ name: 'Content-Type', value: CONTENT_TYPE.setContainerMembers }],
      body: buildSetContainer(id, version, changes),
    });
  }

  /** A contact list primitive ([MS-SIP] §3.7.4.3): answered by the subscription service of the home pool. */
  async contactOp(s: Sender, op: ClientContactOp): Promise<SipReply> {
    return this.send('subscription', await this.pools.home(s.user), s, {
      method: 'SERVICE',
      uri: s.user,
      to: s.user,
      headers: [{ name: 'Content-Type', value: 'application/SOAP+xml' }],
      body: buildContactSoap(op),
    });
  }

  /** The headers of a batch category SUBSCRIBE as Lync clients send them ([MS-PRES] §4.5). */
  private static readonly CATEGORY_HEADERS: readonly BusHeader[] = [
    { name: 'Accept', value: 'application/msrtc-event-categories+xml, application/rlmi+xml, multipart/related' },
    { name: 'Supported', value: 'ms-benotify' },
    { name: 'Supported', value: 'ms-piggyback-first-notify' },
    { name: 'Require', value: 'adhoclist, categoryList' },
    { name: 'Supported', value: 'eventlist' },
    { name: 'Content-Type', value: 'application/msrtc-adrl-categorylist+xml' },
  ];

  /** [MS-SIP] §3.7.4.1 roaming-contacts SUBSCRIBE headers. */
  private static readonly CONTACTS_HEADERS: readonly BusHeader[] = [
    { name: 'Accept', value: CONTENT_TYPE.roamingContacts },
    { name: 'Supported', value: 'ms-benotify' },
    { name: 'Supported', value: 'ms-piggyback-first-notify' },
  ];

  /**
   * A SUBSCRIBE on the user's own URI for `event`, within `dialog` when given (a refresh, or Expires 0
   * to end it, RFC 6665 §4.1.2.3), else creating one at `pool`. Answers the reply and the dialog.
   */
  private async dialogRequest(
    s: Sender,
    o: { event: string; expires: number; pool: string; dialog: CategoryDialog | undefined; headers: readonly BusHeader[]; body?: string },
  ): Promise<{ reply: SipReply; dialog?: CategoryDialog }> {
    const { dialog, pool } = o;
    const callId = dialog?.callId ?? newId();
    const fromTag = dialog?.fromTag ?? newId(6);
    const cseq = dialog ? ++dialog.cseq : 1;
    const reply = await this.send('subscription', pool, s, {
      method: 'SUBSCRIBE',
      uri: s.user,
      to: s.user,
      callId,
      cseq,
      fromTag,
      ...(dialog ? { toTag: dialog.toTag } : {}),
      headers: [{ name: 'Event', value: o.event }, ...(o.expires === 0 && dialog ? [] : o.headers), { name: 'Expires', value: String(o.expires) }],
      ...(o.body !== undefined && !(o.expires === 0 && dialog) ? { body: o.body } : {}),
    });
    const next = dialog ?? (o.expires > 0 && reply.status === 200 && reply.toTag ? { callId, fromTag, toTag: reply.toTag, pool, cseq } : undefined);
    return { reply, ...(next ? { dialog: next } : {}) };
  }

  /**
   * A batch category SUBSCRIBE ([MS-PRES] §3.4.5.1.1) to the pool the resources are homed in (a
   * client sends it to that pool's GRUU after a resubscribe, §3.4.5.1.3.1). `expires` 0 is a poll:
   * the current view of each resource, no dialog. Answers the documents of the 200 and the dialog.
   */
  async subscribe(
    s: Sender,
    resources: readonly string[],
    expires: number,
    dialog?: CategoryDialog,
    atPool?: string,
    action: 'subscribe' | 'unsubscribe' = 'subscribe',
  ): Promise<{ reply: SipReply; presentities: NotifiedPresentity[]; dialog?: CategoryDialog }> {
    const pool = dialog?.pool ?? atPool ?? (await this.pools.home(s.user));
    const body = buildBatchSubscribe(s.user, action, resources, WATCHED_CATEGORIES);
    const out = await this.dialogRequest(s, { event: 'presence', expires, pool, dialog, headers: WebEndpoint.CATEGORY_HEADERS, body });
    const { reply } = out;
    const contentType = reply.headers?.find((h) => h.name.toLowerCase() === 'content-type')?.value ?? '';
    const presentities = reply.status === 200 && reply.body ? parseNotifiedCategories(contentType, reply.body) : [];
    // Without piggybacking the first state comes as a NOTIFY right after the 200 (RFC 6665 §4.2.1.2): read it as well.
    for (const f of reply.followUps ?? []) {
      const ct = f.headers.find((h) => h.name.toLowerCase() === 'content-type')?.value ?? '';
      presentities.push(...parseNotifiedCategories(ct, f.body));
    }
    return { ...out, presentities };
  }

  /** The home pool of each resource, so that a subscription goes where its resources live (no resubscribe round). */
  async byPool(uris: Iterable<string>): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    for (const uri of uris) {
      const pool = await this.pools.home(uri);
      out.set(pool, [...(out.get(pool) ?? []), uri]);
    }
    return out;
  }

  /** Ends a category dialog (RFC 6665 §4.1.2.3: Expires 0 within the dialog). */
  async unsubscribe(s: Sender, dialog: CategoryDialog): Promise<void> {
    await this.dialogRequest(s, { event: 'presence', expires: 0, pool: dialog.pool, dialog, headers: [] }).catch(() => undefined);
  }

  /** A roaming-contacts SUBSCRIBE ([MS-SIP] §3.7.4.1): deltas of the contact list reach this connection. */
  async subscribeContacts(s: Sender, expires: number, dialog?: CategoryDialog): Promise<{ reply: SipReply; dialog?: CategoryDialog }> {
    const pool = dialog?.pool ?? (await this.pools.home(s.user));
    return this.dialogRequest(s, { event: 'vnd-microsoft-roaming-contacts', expires, pool, dialog, headers: WebEndpoint.CONTACTS_HEADERS });
  }

  /** Ends a roaming-contacts dialog. */
  async unsubscribeContacts(s: Sender, dialog: CategoryDialog): Promise<void> {
    await this.dialogRequest(s, { event: 'vnd-microsoft-roaming-contacts', expires: 0, pool: dialog.pool, dialog, headers: [] }).catch(() => undefined);
  }
}
