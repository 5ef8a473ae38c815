import { randomBytes } from 'node:crypto';
import type { EdgeDeliverMessage, EdgeDeliverMessageReply, EdgeEndEndpoint, EdgeSendRequest, EndpointGoneReason } from '@presence/bus';
import type { GatewayConnections } from '@presence/gateway';
import type { Logger } from '@presence/telemetry';
import { SipEndpoint, type EndpointDeps } from './endpoint.js';
import { decodeDirectedPresence, DIRECTED_PRESENCE_TYPE } from './directed-presence.js';
import { bareJid, type Jid } from './jid.js';
import { XmppSession, type SessionDeps, type StanzaSink } from './session.js';

/**
 * The bound resources of this edge, by connection id (the id their endpoint registered with) and
 * by bare JID: where notifications and messages for an endpoint are delivered.
 */
export class SessionHub implements GatewayConnections {
  private readonly byConnection = new Map<string, XmppSession>();
  private readonly byUser = new Map<string, Set<XmppSession>>();
  /** Endpoint endings in progress: stop waits for them while the bus is still open. */
  private readonly ending = new Set<Promise<void>>();

  constructor(
    private readonly endpointDeps: EndpointDeps,
    private readonly sessionDeps: SessionDeps,
    private readonly logger: Logger,
    private readonly maxPerUser: number,
  ) {}

  get size(): number {
    return this.byConnection.size;
  }

  /**
   * Binds a resource (RFC 6120 §7): the requested one unless this user already has it here
   * (§7.7.2.2: the server may give another), else a generated one. Undefined: too many sessions.
   */
  async bind(user: Omit<Jid, 'resource'>, requested: string, connectionId: string, sink: StanzaSink): Promise<XmppSession | undefined> {
    const key = bareJid({ ...user, resource: '' });
    const mine = this.byUser.get(key) ?? new Set<XmppSession>();
    if (mine.size >= this.maxPerUser) return undefined;
    const taken = new Set([...mine].map((s) => s.jid.resource));
    const resource = requested !== '' && requested.length <= 256 && !taken.has(requested) ? requested : `presence-${randomBytes(6).toString('hex')}`;
    const jid: Jid = { ...user, resource };
    const endpoint = new SipEndpoint(this.endpointDeps, `sip:${key}`, connectionId);
    const session = new XmppSession(this.sessionDeps, jid, endpoint, sink);
    this.byConnection.set(connectionId, session);
    mine.add(session);
    this.byUser.set(key, mine);
    try {
      await endpoint.register();
    } catch (e) {
      this.unbindLocal(session);
      throw e;
    }
    return session;
  }

  private unbindLocal(s: XmppSession): void {
    this.byConnection.delete(s.endpoint.connectionId);
    const key = bareJid(s.jid);
    const set = this.byUser.get(key);
    set?.delete(s);
    if (set?.size === 0) this.byUser.delete(key);
  }

  /** The stream or BOSH session ended: its endpoint is gone. */
  unbind(s: XmppSession, reason: EndpointGoneReason): Promise<void> {
    this.unbindLocal(s);
    // RFC 6121 §4.6.3: the session's end is an unavailable for whoever got its directed presence.
    const p = Promise.all([s.directedUnavailable(), s.endpoint.unregister(reason)])
      .then(() => undefined).catch((e: unknown) => this.logger.warn({ err: e, user: s.aor }, 'ending an XMPP endpoint failed'));
    this.ending.add(p);
    void p.finally(() => this.ending.delete(p));
    return p;
  }

  /** Resolves when every endpoint ending begun so far is done. */
  async settle(): Promise<void> {
    while (this.ending.size > 0) await Promise.all([...this.ending]);
  }

  /** `sip.edge.<id>.send`: a NOTIFY/BENOTIFY for one of this edge's endpoints. */
  deliver(req: EdgeSendRequest): boolean {
    const s = this.byConnection.get(req.connectionId);
    if (!s) return false;
    s.notify(req.headers, req.body);
    return true;
  }

  /**
   * The registrar ended this session's endpoint (another endpoint replaced it, the user was signed
   * out): without its endpoint the session cannot go on, so its stream ends (RFC 6120 §4.9.3.3
   * `conflict` when replaced).
   */
  endEndpoint(e: EdgeEndEndpoint): boolean {
    const s = this.byConnection.get(e.connectionId);
    if (!s || s.endpoint.epid !== e.epid) return false;
    this.logger.info({ user: s.aor, epid: e.epid, reason: e.reason }, 'XMPP session ended: its endpoint was ended');
    void this.unbind(s, e.reason);
    s.endpointEnded(e.reason);
    return true;
  }

  /** `sip.edge.<id>.deliver-message`: a page-mode message (or a directed presence) for one endpoint here. */
  deliverMessage(m: EdgeDeliverMessage): EdgeDeliverMessageReply {
    const s = this.byConnection.get(m.connectionId);
    if (!s || s.endpoint.epid !== m.epid) return { delivered: false };
    if (m.contentType === DIRECTED_PRESENCE_TYPE) {
      const p = decodeDirectedPresence(m.body);
      if (!p) return { delivered: false, status: 400 };
      return { delivered: s.deliverPresence(m.from, p), status: 200 };
    }
    if (!/^text\/plain\b/i.test(m.contentType)) return { delivered: false, status: 415 };
    s.deliverMessage(m.from, m.body, m.callId);
    return { delivered: true, status: 200 };
  }

  sessions(): XmppSession[] {
    return [...this.byConnection.values()];
  }
}
