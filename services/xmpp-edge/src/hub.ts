import { randomBytes } from 'node:crypto';
import type { EdgeDeliverMessage, EdgeDeliverMessageReply, EdgeSendBatchReply, EdgeSendBatchRequest, EdgeSendReply, EdgeSendRequest, EndpointGoneReason } from '@presence/bus';
import type { Logger } from '@presence/telemetry';
import { SipEndpoint, type EndpointDeps } from './endpoint.js';
import { bareJid, type Jid } from './jid.js';
import { XmppSession, type SessionDeps, type StanzaSink } from './session.js';

/**
 * The bound resources of this edge, by connection id (the id their endpoint registered with) and
 * by bare JID: where notifications and messages for an endpoint are delivered.
 */
export class SessionHub {
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
    const p = s.endpoint.unregister(reason).catch((e: unknown) => this.logger.warn({ err: e, user: s.aor }, 'ending an XMPP endpoint failed'));
    this.ending.add(p);
    void p.finally(() => this.ending.delete(p));
    return p;
  }

  /** Resolves when every endpoint ending begun so far is done. */
  async settle(): Promise<void> {
    while (this.ending.size > 0) await Promise.all([...this.ending]);
  }

  /** `sip.edge.<id>.send`: a NOTIFY/BENOTIFY for one of this edge's endpoints. */
  send(req: Omit<EdgeSendRequest, 'pool'>): EdgeSendReply {
    const s = this.byConnection.get(req.connectionId);
    if (!s) return { sent: false, reason: 'connection-gone' };
    try {
      s.notify(req.headers, req.body);
    } catch (e) {
      this.logger.warn({ err: e, user: s.aor }, 'a notification could not be turned into stanzas');
    }
    return { sent: true };
  }

  sendBatch(req: EdgeSendBatchRequest): EdgeSendBatchReply {
    return { sent: req.items.map((item) => this.send({ ...item, body: req.bodies[item.body] ?? '' }).sent) };
  }

  /** `sip.edge.<id>.deliver-message`: a page-mode message for one endpoint here. */
  deliver(m: EdgeDeliverMessage): EdgeDeliverMessageReply {
    const s = this.byConnection.get(m.connectionId);
    if (!s || s.endpoint.epid !== m.epid) return { delivered: false };
    if (!/^text\/plain\b/i.test(m.contentType)) return { delivered: false, status: 415 };
    s.deliverMessage(m.from, m.body, m.callId);
    return { delivered: true, status: 200 };
  }

  sessions(): XmppSession[] {
    return [...this.byConnection.values()];
  }
}
