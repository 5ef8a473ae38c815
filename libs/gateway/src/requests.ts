import { randomBytes } from 'node:crypto';
import { sipRequestCommands, type Bus, type BusHeader, type SipReply, type SipServiceName } from '@presence/bus';
import { buildBatchSubscribe, CONTENT_TYPE, parseNotifiedCategories, type NotifiedPresentity } from '@presence/documents';
import type { Pools } from '@presence/runtime';

/** Who sends: the signed-in user, their gateway endpoint, and the connection NOTIFYs for it come back on. */
export interface Sender {
  readonly user: string;
  readonly epid: string;
  readonly connectionId: string;
}

/** A SUBSCRIBE dialog the endpoint holds as subscriber: enough to refresh or end it (RFC 6665 §4.1.2). */
export interface SubscriptionDialog {
  readonly callId: string;
  readonly fromTag: string;
  readonly toTag: string;
  /** The pool whose subscription service holds it. */
  readonly pool: string;
  cseq: number;
}

export interface GatewayRequestsOptions {
  readonly bus: Bus;
  readonly pools: Pools;
  readonly edgeId: string;
  /** The registration transport of the gateway's endpoints. */
  readonly transport: 'web' | 'xmpp';
  readonly userAgent: string;
  /** How long the gateway waits for a service; the service is told a little less (its budget). */
  readonly requestTimeoutMs: number;
}

const token = (n = 8) => randomBytes(n).toString('base64url');
const MARGIN_MS = 250;
const headerOf = (headers: readonly BusHeader[] | undefined, name: string) => headers?.find((h) => h.name.toLowerCase() === name)?.value ?? '';

/** [MS-PRES] §4.5: the headers of a batch category SUBSCRIBE as Lync clients send them. */
const CATEGORY_HEADERS: readonly BusHeader[] = [
  { name: 'Accept', value: 'application/msrtc-event-categories+xml, application/rlmi+xml, multipart/related' },
  { name: 'Supported', value: 'ms-benotify' },
  { name: 'Proxy-Require', value: 'ms-benotify' },
  { name: 'Supported', value: 'ms-piggyback-first-notify' },
  { name: 'Require', value: 'adhoclist, categoryList' },
  { name: 'Supported', value: 'eventlist' },
  { name: 'Content-Type', value: 'application/msrtc-adrl-categorylist+xml' },
];

/** [MS-SIP] §3.7.4.1: the headers of a roaming-contacts SUBSCRIBE. */
const CONTACTS_HEADERS: readonly BusHeader[] = [
  { name: 'Accept', value: CONTENT_TYPE.roamingContacts },
  { name: 'Supported', value: 'ms-benotify' },
  { name: 'Proxy-Require', value: 'ms-benotify' },
  { name: 'Supported', value: 'ms-piggyback-first-notify' },
];

export const ROAMING_CONTACTS = 'vnd-microsoft-roaming-contacts';

/**
 * The SIP requests a gateway endpoint sends the services, as the SIP edge hands a Lync client's to
 * them (`sipRequestCommands`): so ACLs, aggregation, deltaNum rules and fan-out apply unchanged
 * ([DESIGN] one presence core, many protocol edges). Bus failures are thrown to the gateway.
 */
export class GatewayRequests {
  constructor(private readonly o: GatewayRequestsOptions) {}

  get edgeId(): string {
    return this.o.edgeId;
  }

  /** One synthesized request to `service` at `pool`; a new Call-ID and tags unless a dialog's are given. */
  async send(
    service: SipServiceName,
    pool: string,
    s: Sender,
    r: { method: string; uri: string; to: string; callId?: string; cseq?: number; fromTag?: string; toTag?: string; headers?: readonly BusHeader[]; body?: string },
  ): Promise<SipReply> {
    const headers: BusHeader[] = [
      { name: 'From', value: `<${s.user}>;tag=${r.fromTag ?? token()};epid=${s.epid}` },
      { name: 'To', value: `<${r.to}>${r.toTag ? `;tag=${r.toTag}` : ''}` },
      { name: 'Call-ID', value: r.callId ?? token(12) },
      { name: 'CSeq', value: `${r.cseq ?? 1} ${r.method}` },
      { name: 'Contact', value: `<${s.user};opaque=user:epid:${s.epid};gruu>` },
      { name: 'User-Agent', value: this.o.userAgent },
      ...(r.headers ?? []),
    ];
    return this.o.bus.request(
      sipRequestCommands[service],
      pool,
      {
        method: r.method,
        uri: r.uri,
        headers,
        body: r.body ?? '',
        user: s.user,
        epid: s.epid,
        edgeId: this.o.edgeId,
        connectionId: s.connectionId,
        transport: this.o.transport,
        budgetMs: Math.max(100, this.o.requestTimeoutMs - MARGIN_MS),
      },
      { timeoutMs: this.o.requestTimeoutMs },
    );
  }

  /** A SERVICE request on the user's own URI at their home pool (publish, setContainerMembers, contact SOAP). */
  async service(service: SipServiceName, s: Sender, contentType: string, body: string): Promise<SipReply> {
    return this.send(service, await this.o.pools.home(s.user), s, { method: 'SERVICE', uri: s.user, to: s.user, headers: [{ name: 'Content-Type', value: contentType }], body });
  }

  /**
   * A SUBSCRIBE for `event`: within `dialog` when given (a refresh, or Expires 0 to end it, RFC 6665
   * §4.1.2.3), else creating one at `pool`, addressed to the user's own URI at their home pool and
   * to the pool's GRUU elsewhere (the Request-URI every edge routes by, [MS-PRES] §3.4.5.1.3.1).
   * Answers the reply and the dialog (a new one only on a 200 with a To tag and Expires above 0).
   */
  async subscribe(
    s: Sender,
    o: { event: string; expires: number; pool: string; dialog: SubscriptionDialog | undefined; headers: readonly BusHeader[]; body?: string },
  ): Promise<{ reply: SipReply; dialog?: SubscriptionDialog }> {
    const { dialog, pool } = o;
    const callId = dialog?.callId ?? token(12);
    const fromTag = dialog?.fromTag ?? token();
    const ending = o.expires === 0 && dialog !== undefined;
    const uri = pool === (await this.o.pools.home(s.user)) ? s.user : this.o.pools.gruu(pool);
    let expires = o.expires;
    let cseq = 0;
    let reply: SipReply;
    for (let attempt = 0; ; attempt++) {
      cseq = dialog ? ++dialog.cseq : attempt + 1;
      reply = await this.send('subscription', pool, s, {
        method: 'SUBSCRIBE',
        uri,
        to: s.user,
        callId,
        cseq,
        fromTag,
        ...(dialog ? { toTag: dialog.toTag } : {}),
        headers: [{ name: 'Event', value: o.event }, ...(ending ? [] : o.headers), { name: 'Expires', value: String(expires) }],
        ...(o.body !== undefined && !ending ? { body: o.body } : {}),
      });
      // RFC 6665 §4.1.2.1 / RFC 3261 §10.2.8: a 423 names the shortest duration the server takes; ask again with it, once.
      const min = reply.status === 423 && expires > 0 && attempt === 0 ? minExpires(reply) : undefined;
      if (min === undefined || min <= expires) break;
      expires = min;
    }
    const next = dialog ?? (expires > 0 && reply.status === 200 && reply.toTag ? { callId, fromTag, toTag: reply.toTag, pool, cseq } : undefined);
    return { reply, ...(next ? { dialog: next } : {}) };
  }

  /**
   * A batch category SUBSCRIBE ([MS-PRES] §3.4.5.1.1) of `categories` of `resources` at `pool`.
   * `expires` 0 outside a dialog is a poll. Answers the presentities of the 200 and of the NOTIFYs
   * that follow it without piggybacking (RFC 6665 §4.2.1.2), and the dialog.
   */
  async subscribeCategories(
    s: Sender,
    o: { pool: string; resources: readonly string[]; categories: readonly string[]; expires: number; dialog?: SubscriptionDialog | undefined; action?: 'subscribe' | 'unsubscribe' },
  ): Promise<{ reply: SipReply; presentities: NotifiedPresentity[]; dialog?: SubscriptionDialog }> {
    const body = buildBatchSubscribe(s.user, o.action ?? 'subscribe', o.resources, o.categories);
    const out = await this.subscribe(s, { event: 'presence', expires: o.expires, pool: o.pool, dialog: o.dialog, headers: CATEGORY_HEADERS, body });
    const { reply } = out;
    const presentities = reply.status === 200 && reply.body ? parseNotifiedCategories(headerOf(reply.headers, 'content-type'), reply.body) : [];
    for (const f of reply.followUps ?? []) presentities.push(...parseNotifiedCategories(headerOf(f.headers, 'content-type'), f.body));
    return { ...out, presentities };
  }

  /** A roaming-contacts SUBSCRIBE ([MS-SIP] §3.7.4.1) at the user's home pool: the list now, deltas as NOTIFYs. */
  async subscribeContacts(s: Sender, expires: number, dialog?: SubscriptionDialog): Promise<{ reply: SipReply; dialog?: SubscriptionDialog }> {
    const pool = dialog?.pool ?? (await this.o.pools.home(s.user));
    return this.subscribe(s, { event: ROAMING_CONTACTS, expires, pool, dialog, headers: CONTACTS_HEADERS });
  }

  /** Ends a dialog (RFC 6665 §4.1.2.3: Expires 0 within it); a failure leaves it to expire. */
  async unsubscribe(s: Sender, event: string, dialog: SubscriptionDialog): Promise<void> {
    await this.subscribe(s, { event, expires: 0, pool: dialog.pool, dialog, headers: [] }).catch(() => undefined);
  }

  /** The home pool of each resource, so that a subscription goes where its resources live (no resubscribe round). */
  async byPool(uris: Iterable<string>): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    for (const uri of uris) {
      const pool = await this.o.pools.home(uri);
      out.set(pool, [...(out.get(pool) ?? []), uri]);
    }
    return out;
  }
}

/** The Min-Expires of a 423 (RFC 3261 §20.23), when it is a number. */
function minExpires(reply: SipReply): number | undefined {
  const v = reply.headers?.find((h) => h.name.toLowerCase() === 'min-expires')?.value;
  const n = v === undefined ? NaN : Number(v.trim());
  return Number.isInteger(n) && n > 0 ? n : undefined;
}
