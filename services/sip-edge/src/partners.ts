import { createResponse, getHeader, parseNameAddr, parseUri, randomToken, type SipHeader, type SipLimits, type SipRequest, type SipResponse, type Timers } from '@presence/sip';
import type { Logger } from '@presence/telemetry';
import { ClientRequests } from './client-requests.js';
import type { Partner } from './partner-config.js';
import type { Flow, FlowHandler } from './flows.js';
import { addressesOf, connectStream } from './transport/connect.js';

/** Most subscriptions relayed to partners at once on one edge (bounded table). */
const MAX_RELAYED = 100_000;
/** Most requests waiting for a partner's or a client's answer. */
const MAX_PENDING = 10_000;
/** How long a partner or a client has to answer a relayed request (then 408). */
const ANSWER_MS = 5000;
/** Headers not passed on: hop-by-hop, credentials (never shown to another domain), and what the relay writes itself. */
const NOT_RELAYED = new Set(['via', 'route', 'record-route', 'max-forwards', 'authorization', 'proxy-authorization', 'content-length', 'server']);

/** A subscription a local watcher holds on a partner's user, relayed by this edge. */
interface Relayed {
  clientFlowId: string;
  partnerFlowId: string;
  expiresAt: number;
}

const domainOf = (aor: string) => (aor.split('@')[1] ?? '').toLowerCase();

/**
 * Federation with partner deployments (issue 14 item 5; [MS-PRES] §3.7 for what a federated
 * watcher sees). Requests of local users for a partner's users (SUBSCRIBE and MESSAGE, by the
 * Request-URI's domain) go out on this edge's connection to the partner, each in a client
 * transaction, and the partner's answer is the client's; the NOTIFYs of such a subscription come
 * back on that connection and are relayed to the watcher's connection, and the watcher's answer is
 * the partner's. Requests from a partner's users are taken without a challenge when they come from
 * the partner's address (or on the connection to it) and are served like any request, so their
 * subscriptions resolve with source network `federated` (container 100). A From in any other
 * domain not served here gets 403.
 *
 * Relayed subscriptions live in this edge's memory: a watcher that reconnects to another edge
 * subscribes again (as after any connection loss).
 */
export class Partners {
  private readonly byDomain = new Map<string, Partner>();
  private readonly trusted = new Map<string, Set<string>>();
  private readonly connections = new Map<string, Promise<Flow>>();
  private readonly outboundFlows = new Map<string, string>();
  private readonly requests: ClientRequests;
  private readonly relayed = new Map<string, Relayed>();

  constructor(
    private readonly o: {
      partners: readonly Partner[];
      domains: readonly string[];
      handler: () => FlowHandler;
      limits: SipLimits;
      logger: Logger;
      ca?: string;
      timers?: Timers;
      now?: () => number;
    },
  ) {
    for (const p of o.partners) this.byDomain.set(p.domain, p);
    this.requests = new ClientRequests({ max: MAX_PENDING, timeoutMs: ANSWER_MS, ...(o.timers ? { timers: o.timers } : {}) });
  }

  get configured(): boolean {
    return this.byDomain.size > 0;
  }

  /** Resolves each partner's host once: requests from those addresses may speak for the partner's users. */
  async start(): Promise<void> {
    for (const p of this.byDomain.values()) {
      try {
        this.trusted.set(p.domain, new Set(await addressesOf(p.host)));
      } catch (e) {
        this.o.logger.warn({ partner: p.domain, host: p.host, err: (e as Error).message }, 'could not resolve a federation partner: its requests are refused until restart');
      }
    }
  }

  /** A partner's user speaking from the partner's address (or on our connection to it): taken without a challenge. */
  trusts(flow: Flow, fromAor: string): boolean {
    const domain = domainOf(fromAor);
    if (!this.byDomain.has(domain)) return false;
    return this.outboundFlows.get(flow.id) === domain || (this.trusted.get(domain)?.has(flow.remote.address) ?? false);
  }

  /** A From in a domain that is neither served here nor a partner's (issue 14: 403). */
  refuses(fromAor: string): boolean {
    const domain = domainOf(fromAor);
    return !this.o.domains.includes(domain) && !this.byDomain.has(domain);
  }

  /** The partner a local user's request is for (SUBSCRIBE or MESSAGE whose Request-URI is in a partner's domain). */
  targetOf(req: SipRequest): Partner | undefined {
    if (req.method !== 'SUBSCRIBE' && req.method !== 'MESSAGE') return undefined;
    const u = parseUri(req.uri);
    return u.ok ? this.byDomain.get(u.value.host.toLowerCase()) : undefined;
  }

  /** Sends a local user's request to the partner and answers with the partner's final response. */
  async forward(req: SipRequest, client: Flow, partner: Partner): Promise<SipResponse> {
    let flow: Flow;
    try {
      flow = await this.connection(partner);
    } catch (e) {
      this.o.logger.warn({ partner: partner.domain, err: (e as Error).message }, 'federation partner unreachable');
      return createResponse(req, 503, { toTag: randomToken(), reason: 'Partner Unreachable', headers: [{ name: 'Retry-After', value: '30' }] });
    }
    const callId = getHeader(req, 'Call-ID') ?? '';
    // The first NOTIFY may arrive in the same read as the 2xx: the relay must know the dialog before the answer.
    const known = this.relayed.has(callId);
    if (req.method === 'SUBSCRIBE' && !known) {
      if (this.relayed.size >= MAX_RELAYED) return createResponse(req, 503, { toTag: randomToken(), reason: 'Too Many Relayed Subscriptions', headers: [{ name: 'Retry-After', value: '30' }] });
      this.relayed.set(callId, { clientFlowId: client.id, partnerFlowId: flow.id, expiresAt: this.now() + ANSWER_MS * 2 });
    }
    // RFC 3261 §16.6 step 4: a subscription's NOTIFYs come back through this edge (a partner that sends
    // them to the Contact, as Kamailio does, could not reach the watcher's connection otherwise).
    const recordRoute: SipHeader[] = req.method === 'SUBSCRIBE' && this.ports ? [{ name: 'Record-Route', value: `<${this.routeUri(flow, partner)}>` }] : [];
    const res = await this.send(flow, req.method, req.uri, req.headers, req.body, recordRoute);
    const r = this.relayed.get(callId);
    if (req.method === 'SUBSCRIBE' && r) {
      if (!res || res.status >= 300) {
        // A refresh the partner no longer knows (RFC 6665 §4.1.2.2: 481) ends the relayed dialog too.
        if (!known || res?.status === 481) this.relayed.delete(callId);
      } else {
        // RFC 6665 §4.1.2.3: Expires 0 ends the subscription after its final NOTIFY (relayed first, then dropped).
        const expires = Number(getHeader(res, 'Expires') ?? '0');
        r.expiresAt = this.now() + (expires > 0 ? (expires + 32) * 1000 : ANSWER_MS * 2);
      }
    }
    if (!res) return createResponse(req, 408, { toTag: randomToken(), reason: 'Partner Did Not Answer' });
    const toTag = /;\s*tag=([^;>\s]+)/.exec(getHeader(res, 'To') ?? '')?.[1];
    return createResponse(req, res.status, {
      reason: res.reason,
      ...(toTag ? { toTag } : {}),
      headers: this.passed(res.headers),
      body: res.body,
    });
  }

  /**
   * A NOTIFY from a partner for a subscription this edge relayed: sent on to the watcher's connection,
   * and the watcher's answer returned. Undefined: not ours (the caller answers it as usual).
   */
  async relayNotify(req: SipRequest, from: Flow): Promise<SipResponse | undefined> {
    const callId = getHeader(req, 'Call-ID') ?? '';
    const r = this.relayed.get(callId);
    // On the connection the SUBSCRIBE went out on, or (Record-Route) on one the partner opened from its address.
    const f = parseNameAddr(getHeader(req, 'From') ?? '');
    const notifier = f.ok ? parseUri(f.value.uri) : undefined;
    const fromPartner = notifier?.ok === true && this.trusts(from, `sip:${notifier.value.user ?? ''}@${notifier.value.host}`);
    if (!r || !(r.partnerFlowId === from.id || fromPartner)) return undefined;
    if (r.expiresAt < this.now()) {
      this.relayed.delete(callId);
      return createResponse(req, 481, { toTag: randomToken() });
    }
    if (/^\s*terminated/i.test(getHeader(req, 'Subscription-State') ?? '')) this.relayed.delete(callId);
    const client = this.clientFlow(r.clientFlowId);
    if (!client) {
      this.relayed.delete(callId);
      return createResponse(req, 481, { reason: 'Subscriber Gone' });
    }
    const res = await this.send(client, req.method, req.uri, req.headers, req.body);
    if (!res) return createResponse(req, 408, { reason: 'Subscriber Did Not Answer' });
    if (res.status === 481) this.relayed.delete(callId);
    return createResponse(req, res.status, { reason: res.reason, headers: this.passed(res.headers) });
  }

  /** A response on any connection; true when it answered one of the requests this relay sent. */
  receiveResponse(res: SipResponse): boolean {
    return this.requests.receiveResponse(res);
  }

  /** A connection closed: requests waiting on it get no answer; a partner connection is opened again when next needed. */
  flowClosed(flowId: string): void {
    const domain = this.outboundFlows.get(flowId);
    if (domain !== undefined) {
      this.outboundFlows.delete(flowId);
      this.connections.delete(domain);
    }
    this.requests.flowClosed(flowId);
    for (const [callId, r] of this.relayed) if (r.clientFlowId === flowId || r.partnerFlowId === flowId) this.relayed.delete(callId);
  }

  /** Closes the connections to partners (shutdown). */
  async close(): Promise<void> {
    for (const c of this.connections.values()) (await c.catch(() => undefined))?.close();
  }

  private flows = new Map<string, Flow>();
  private ports: { tcp: number; tls: number } | undefined;

  /** The edge's own listening ports: the Record-Route of relayed subscriptions names them. */
  listening(ports: { tcp: number; tls: number }): void {
    this.ports = ports;
  }

  /** This edge as the partner reaches it: the address our connection to it comes from, our listener's port. */
  private routeUri(flow: Flow, partner: Partner): string {
    const host = flow.local.address.includes(':') ? `[${flow.local.address}]` : flow.local.address;
    return `sip:${host}:${partner.transport === 'tls' ? this.ports!.tls : this.ports!.tcp};transport=${partner.transport};lr`;
  }

  /** The edge's table of open connections, to find a watcher's. */
  attach(flows: Map<string, Flow>): void {
    this.flows = flows;
  }

  private clientFlow(id: string): Flow | undefined {
    return this.flows.get(id);
  }

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  private passed(headers: readonly SipHeader[]): SipHeader[] {
    return headers.filter((h) => !['via', 'from', 'to', 'call-id', 'cseq'].includes(h.name.toLowerCase()) && !NOT_RELAYED.has(h.name.toLowerCase()));
  }

  private connection(p: Partner): Promise<Flow> {
    let c = this.connections.get(p.domain);
    if (!c) {
      c = connectStream({ transport: p.transport, host: p.host, port: p.port, ...(this.o.ca ? { ca: this.o.ca } : {}), limits: this.o.limits, handler: this.o.handler(), logger: this.o.logger, timeoutMs: ANSWER_MS }).then((f) => {
        this.outboundFlows.set(f.id, p.domain);
        this.flows.set(f.id, f);
        this.o.logger.info({ partner: p.domain, host: p.host, port: p.port, transport: p.transport }, 'connected to a federation partner');
        return f;
      });
      c.catch(() => this.connections.delete(p.domain));
      this.connections.set(p.domain, c);
    }
    return c;
  }

  /** Sends a request on `flow` (hop-by-hop headers and credentials left out, Max-Forwards counted down); undefined when no final answer came in time. */
  private send(flow: Flow, method: string, uri: string, headers: readonly SipHeader[], body: Buffer, own: readonly SipHeader[] = []): Promise<SipResponse | undefined> {
    const mf = Number(headers.find((h) => h.name.toLowerCase() === 'max-forwards')?.value ?? '70');
    return this.requests.send(flow, {
      method,
      uri,
      headers: [{ name: 'Max-Forwards', value: String(Math.max(0, (Number.isInteger(mf) ? mf : 70) - 1)) }, ...own, ...headers.filter((h) => !NOT_RELAYED.has(h.name.toLowerCase()))],
      body,
    });
  }
}
