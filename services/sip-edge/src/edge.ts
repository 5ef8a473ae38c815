import { sipRequestCommands, type Bus, type SipReply } from '@presence/bus';

/** A response, and the requests to send on the connection right after it. */
interface Handled {
  response: SipResponse;
  followUps?: SipReply['followUps'];
  /** The pool whose service answered (for metrics); unset when the edge answered itself. */
  pool?: string;
}
import {
  addressOfRecord,
  branchOf,
  checkRequest,
  createResponse,
  cseqOf,
  getHeader,
  getHeaders,
  param,
  parseMessage,
  parseNameAddr,
  parseUri,
  parseVia,
  randomToken,
  serialize,
  NonInviteServerTransaction,
  type SipHeader,
  type SipLimits,
  type SipRequest,
  type SipResponse,
  type Timers,
} from '@presence/sip';
import type { Pools } from '@presence/runtime';
import { setSpanUser, startSipServerSpan, type Logger, type SipServerSpan } from '@presence/telemetry';
import type { Authenticator } from './authenticator.js';
import type { Flow, FlowHandler } from './flows.js';
import type { EdgeMetrics } from './metrics.js';
import { InFlight } from './in-flight.js';
import { RateLimit } from './rate-limit.js';
import { ReadGate } from './read-gate.js';
import type { Outbound } from './outbound.js';
import type { Registrar } from './registrar.js';
import type { MessageDelivery } from './deliver-message.js';
import type { MessageRelay } from './message.js';
import type { Partners } from './partners.js';
import { ACCEPTED_SERVICE_TYPES, ALLOW_EVENTS, routeRequest } from './router.js';
import { unavailableDependency } from './unavailable.js';

/** Methods this server takes as requests. */
export const ALLOW = 'REGISTER,OPTIONS,SUBSCRIBE,SERVICE,PUBLISH,MESSAGE,ACK,CANCEL';
/** Methods that exist but that a presence server does not serve: 405 with Allow (RFC 3261 §21.4.6). */
const NOT_HERE = new Set(['INVITE', 'REFER', 'INFO', 'UPDATE', 'PRACK', 'NOTIFY', 'BENOTIFY', 'BYE']);
/** Option tags this server supports, one Supported header each ([MS-PRES] §3.2.5.1.1; RFC 5627). */
export const SUPPORTED = ['gruu-10', 'adhoclist', 'msrtc-event-categories', 'ms-benotify', 'ms-piggyback-first-notify'];
const SERVER = 'presence-server/0.1';
const RETRY_AFTER_S = 5;
/** The largest UDP payload over IPv4 (65,535 less the IP and UDP headers). */
const MAX_DATAGRAM = 65_507;
/** Most server transactions at once (each lives until its Timer J after the answer on UDP). */
const MAX_TRANSACTIONS = 100_000;
/** How long a connection that went over a limit is not read. */
const PENALTY_MS = 250;
/** A 2xx to a SUBSCRIBE must carry Expires (RFC 6665 §4.1.2.1); if one does not, the gauge keeps the dialog this long. */
const DIALOG_EXPIRES_UNKNOWN_S = 3600;
/** What the service is told it has of the edge's wait: the rest covers the reply's way back. */
const REPLY_MARGIN_MS = 500;

/** Most requests in progress at once (item 2 of issue 12: one user must not take the server down). */
export interface InFlightLimits {
  readonly perConnection: number;
  readonly perUser: number;
  readonly total: number;
  /** Requests one user may make per second after a burst of `userBurst` (token bucket). */
  readonly userRatePerSecond: number;
  readonly userBurst: number;
  /** Signed-in TCP/TLS connections one user may hold. */
  readonly perUserConnections: number;
}

export interface EdgeOptions {
  bus: Bus;
  pools: Pools;
  edgeId: string;
  logger: Logger;
  limits: SipLimits;
  authenticator: Authenticator;
  registrar: Registrar;
  outbound: Outbound;
  flows: Map<string, Flow>;
  inFlight: InFlightLimits;
  /** How long the edge waits for a service's answer (BUS_REQUEST_TIMEOUT_MS). */
  requestTimeoutMs: number;
  timers?: Timers;
  /** Request, registration, notification and connection metrics; unset in tests that do not read them. */
  metrics?: EdgeMetrics;
  /** Page-mode MESSAGE (RFC 3428): relaying the ones clients send, delivering the ones for them. Unset: 405. */
  messages?: { relay: MessageRelay; delivery: MessageDelivery };
  /** Federation with partner deployments (PRESENCE_FEDERATION_PARTNERS); unset or empty: none. */
  partners?: Partners;
}

/**
 * Text a service put in a reason phrase or header value, made fit for one header line: a reason
 * may quote the client's own bytes (an XML error naming a NUL), and no control character may
 * appear there (RFC 3261 §25.1 Reason-Phrase, header values); CR/LF would inject headers.
 */
function lineSafe(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x08\x0a-\x1f\x7f]/g, '?');
}

/** The headers salvaged from a message that does not parse, so that even a 400 reaches its sender. */
function salvage(bytes: Buffer): SipHeader[] {
  const names: Record<string, string> = { v: 'Via', via: 'Via', f: 'From', from: 'From', t: 'To', to: 'To', i: 'Call-ID', 'call-id': 'Call-ID', cseq: 'CSeq' };
  const out: SipHeader[] = [];
  for (const line of bytes.subarray(0, 8192).toString('latin1').split('\r\n').slice(1)) {
    if (line === '') break;
    const m = /^([A-Za-z-]+)[ \t]*:[ \t]*([^\r\n\0]{0,1024})$/.exec(line);
    const name = m && names[m[1]!.toLowerCase()];
    if (name) out.push({ name, value: m[2]!.trim() });
  }
  return out;
}

/** The user a log line names: the connection's authenticated user, else the AOR the request claims in From. */
function userOf(req: SipRequest, flow: Flow): string | undefined {
  if (flow.user !== undefined) return flow.user;
  const from = parseNameAddr(getHeader(req, 'From') ?? '');
  const uri = from.ok ? parseUri(from.value.uri) : undefined;
  return uri?.ok ? addressOfRecord(uri.value) : undefined;
}

/** A 401/407 that asks for (fresh) credentials: the request carried none, or its nonce was stale (RFC 7616 §3.3 `stale=true`). */
function isChallenge(req: SipRequest, res: SipResponse): boolean {
  if (res.status !== 401 && res.status !== 407) return false;
  if (getHeader(req, 'Authorization') === undefined && getHeader(req, 'Proxy-Authorization') === undefined) return true;
  return /\bstale\s*=\s*"?true/i.test([...getHeaders(res, 'WWW-Authenticate'), ...getHeaders(res, 'Proxy-Authenticate')].join(','));
}

/**
 * The edge's SIP core: turns each message from a flow into a response. Requests run in server
 * transactions (retransmissions absorbed or answered from the transaction); REGISTER and OPTIONS
 * are answered here, SERVICE/SUBSCRIBE/PUBLISH go to their service over the bus. Nothing a client
 * sends can make it throw: bad input gets a 4xx/5xx and the edge keeps serving.
 */
export class SipEdge implements FlowHandler {
  private readonly transactions = new Map<string, NonInviteServerTransaction>();
  /** Endpoint clean-ups of connections that closed, still running. */
  private readonly closing = new Set<Promise<void>>();
  private readonly perConnection: InFlight;
  private readonly perUser: InFlight;
  private readonly total: InFlight;
  private readonly gate: ReadGate;
  private readonly userRate: RateLimit;
  /** Signed-in connections per user, and the user of each. */
  private readonly userConnections: InFlight;
  private readonly connectionUser = new Map<string, string>();

  constructor(private readonly o: EdgeOptions) {
    this.perConnection = new InFlight(o.inFlight.perConnection);
    this.perUser = new InFlight(o.inFlight.perUser);
    this.total = new InFlight(o.inFlight.total);
    this.gate = new ReadGate(this.perConnection, PENALTY_MS);
    this.userRate = new RateLimit(o.inFlight.userRatePerSecond, o.inFlight.userBurst);
    this.userConnections = new InFlight(o.inFlight.perUserConnections);
  }

  receive(flow: Flow, bytes: Buffer, datagram: boolean): void {
    if (!flow.reliable || !this.o.flows.has(flow.id)) this.o.flows.set(flow.id, flow);
    this.handle(flow, bytes, datagram).catch((e: unknown) => this.o.logger.error({ err: e, flow: flow.id }, 'unexpected error handling a message'));
  }

  tooLarge(flow: Flow, head: Buffer): void {
    this.o.flows.set(flow.id, flow);
    const headers = salvage(head);
    if (!head.toString('latin1', 0, 4).startsWith('SIP/')) {
      this.sendRaw(flow, 413, headers, 'Request Entity Too Large');
      this.o.logger.warn({ flow: flow.id, transport: flow.transport, callId: headers.find((h) => h.name === 'Call-ID')?.value, user: flow.user, status: 413, reason: 'Request Entity Too Large' }, 'SIP message refused: 413 Request Entity Too Large');
    }
  }

  closed(flow: Flow): void {
    this.o.flows.delete(flow.id);
    this.gate.forget(flow.id);
    const user = this.connectionUser.get(flow.id);
    if (user !== undefined) {
      this.connectionUser.delete(flow.id);
      this.userConnections.release(user);
    }
    this.o.outbound.flowClosed(flow.id);
    this.o.metrics?.dialogs.flowClosed(flow.id);
    this.o.messages?.delivery.flowClosed(flow.id);
    this.o.partners?.flowClosed(flow.id);
    const ending = this.o.registrar
      .flowClosed(flow)
      .catch((e: unknown) => this.o.logger.error({ err: e, flow: flow.id }, 'ending the endpoints of a closed connection failed'))
      .finally(() => this.closing.delete(ending));
    this.closing.add(ending);
  }

  /**
   * Waits for the work of closed connections (ending their endpoints over the store and bus): at
   * shutdown the edge closes its connections, then waits here, and only then the bus drains.
   */
  async settle(): Promise<void> {
    while (this.closing.size > 0) await Promise.all([...this.closing]);
  }

  private sendRaw(flow: Flow, status: number, headers: SipHeader[], reason: string): void {
    const toTagged = headers.map((h) => (h.name === 'To' && !/;\s*tag=/i.test(h.value) ? { name: 'To', value: `${h.value};tag=${randomToken()}` } : h));
    flow.send(serialize({ type: 'response', status, reason, headers: [...toTagged, { name: 'Server', value: SERVER }], body: Buffer.alloc(0) }));
  }

  private async handle(flow: Flow, bytes: Buffer, datagram: boolean): Promise<void> {
    const parsed = parseMessage(bytes, { datagram, limits: this.o.limits });
    if (!parsed.ok) {
      const headers = salvage(bytes);
      const looksLikeResponse = bytes.toString('latin1', 0, 4) === 'SIP/';
      // On UDP, answer only what carries a Via: blind answers to spoofed datagrams would be a reflector.
      if (!looksLikeResponse && (flow.reliable || headers.some((h) => h.name === 'Via'))) {
        const reason = parsed.error.status === 400 ? `Bad Request (${parsed.error.message.slice(0, 100)})` : parsed.error.message.slice(0, 100);
        this.sendRaw(flow, parsed.error.status, headers, reason);
        this.o.logger.warn({ flow: flow.id, transport: flow.transport, callId: headers.find((h) => h.name === 'Call-ID')?.value, user: flow.user, status: parsed.error.status, reason }, `SIP message refused: ${parsed.error.status} ${reason}`);
      }
      return;
    }
    const msg = parsed.value;
    if (msg.type === 'response') {
      const { method } = cseqOf(msg);
      this.o.metrics?.clientAnswered(method, msg.status);
      if (this.o.partners?.receiveResponse(msg)) return;
      if (method === 'MESSAGE') {
        this.o.messages?.delivery.receiveResponse(msg);
        return;
      }
      // RFC 6665 §4.2.2: a 481 to a NOTIFY ends the subscription.
      if (msg.status === 481) this.o.metrics?.dialogs.ended(flow.id, getHeader(msg, 'Call-ID') ?? '');
      this.o.outbound.receiveResponse(msg, method);
      return;
    }
    const startedAt = process.hrtime.bigint();
    const problem = checkRequest(msg);
    if (problem) {
      this.sendRaw(flow, problem.status, salvage(bytes), `Bad Request (${problem.message})`);
      this.answered(flow, msg, problem.status, startedAt, undefined, `Bad Request (${problem.message})`);
      return;
    }
    if (msg.method === 'ACK') return; // no INVITE transactions here: nothing to acknowledge

    // RFC 3261 §17.2.3: match retransmissions to their transaction by branch, sent-by and method.
    const via = parseVia(getHeader(msg, 'Via')!);
    if (!via.ok) {
      this.sendRaw(flow, 400, salvage(bytes), 'Bad Request (bad Via)');
      this.answered(flow, msg, 400, startedAt, undefined, 'Bad Request (bad Via)');
      return;
    }
    const key = `${branchOf(via.value) ?? `${getHeader(msg, 'Call-ID')}|${cseqOf(msg).seq}`}|${via.value.host}:${via.value.port ?? ''}|${msg.method}`;
    const existing = this.transactions.get(key);
    if (existing) {
      existing.receiveRequest();
      return;
    }
    // Completed UDP transactions linger for Timer J (RFC 3261 §17.2.2): a flood of new ones must not grow the table without end.
    if (this.transactions.size >= MAX_TRANSACTIONS) {
      this.o.logger.warn({ flow: flow.id, transactions: this.transactions.size }, 'transaction table full: answering 503');
      this.sendRaw(flow, 503, [...salvage(bytes), { name: 'Retry-After', value: String(RETRY_AFTER_S) }], 'Service Unavailable');
      this.answered(flow, msg, 503, startedAt, undefined, 'Service Unavailable (transaction table full)');
      return;
    }
    const tx = new NonInviteServerTransaction(key, flow, (t) => this.transactions.delete(t.id), this.o.timers);
    this.transactions.set(key, tx);
    // The SIP server span is the root of the request's trace; bus, Redis and NOTIFY spans and every log line of the request belong to it.
    const span = startSipServerSpan(msg.method, { callId: getHeader(msg, 'Call-ID'), user: flow.user, transport: flow.transport });
    return span ? span.run(() => this.transact(flow, msg, tx, startedAt, span)) : this.transact(flow, msg, tx, startedAt, undefined);
  }

  /** A new request in its server transaction: admitted or refused, served, answered; then its follow-up requests. */
  private async transact(flow: Flow, msg: SipRequest, tx: NonInviteServerTransaction, startedAt: bigint, span: SipServerSpan | undefined): Promise<void> {
    if (this.o.logger.isLevelEnabled('debug')) {
      this.o.logger.debug({ flow: flow.id, transport: flow.transport, method: msg.method, callId: getHeader(msg, 'Call-ID'), user: userOf(msg, flow), cseq: cseqOf(msg).seq }, 'SIP request');
    }
    let handled: Handled;
    // Bounded before any work: excess requests of a connection (or of the whole edge) get 503 at once.
    // OPTIONS and CANCEL need no work beyond their answer: they are answered even at the limit.
    const counted = msg.method !== 'OPTIONS' && msg.method !== 'CANCEL';
    const refused = counted ? this.admit(flow, msg) : undefined;
    if (refused) {
      handled = { response: refused };
    } else {
      try {
        handled = await this.process(flow, this.stampVia(msg, flow));
      } catch (e) {
        handled = { response: this.failed(msg, e, flow) };
      } finally {
        if (counted) this.leave(flow);
      }
    }
    const { followUps } = handled;
    const response = this.fitFlow(flow, { ...handled.response, headers: [...handled.response.headers, { name: 'Server', value: SERVER }] }, msg);
    tx.respond(response);
    this.answered(flow, msg, response.status, startedAt, handled.pool, response.reason, isChallenge(msg, response));
    if (msg.method === 'SUBSCRIBE') this.trackDialog(flow, msg, response);
    const piggyback = getHeader(response, 'ms-piggyback-cseq');
    if (piggyback !== undefined && /^\d+$/.test(piggyback)) this.o.outbound.piggybacked(flow.id, getHeader(msg, 'Call-ID')!, Number(piggyback));
    for (const f of followUps ?? []) this.o.metrics?.notified(f.method, this.o.outbound.send({ ...f, connectionId: flow.id }).sent);
    span?.answered(response.status, response.reason);
  }

  /** Follows a subscription dialog for the active-dialogs gauge: its 2xx and granted Expires (RFC 6665 §4.1.2.1), or a 481 for a dialog that is gone. */
  private trackDialog(flow: Flow, req: SipRequest, res: SipResponse): void {
    const dialogs = this.o.metrics?.dialogs;
    if (!dialogs) return;
    const callId = getHeader(req, 'Call-ID')!;
    if (res.status === 481) return dialogs.ended(flow.id, callId);
    if (res.status < 200 || res.status >= 300) return;
    const event = (getHeader(req, 'Event') ?? '').split(';')[0]!.trim().toLowerCase();
    const expires = Number(getHeader(res, 'Expires') ?? getHeader(req, 'Expires') ?? DIALOG_EXPIRES_UNKNOWN_S);
    dialogs.subscribed(flow.id, callId, event, Number.isFinite(expires) ? expires : DIALOG_EXPIRES_UNKNOWN_S);
  }

  /**
   * Counts a final response and writes the per-request debug line (LOG_LEVEL=debug), and a warn line
   * for every 4xx-6xx the server decided, with its reason. Not warned: the 401/407 challenge to a
   * request without credentials or with a stale nonce (RFC 3261 §22.1, RFC 7616 §3.3), which is how
   * every client signs in and refreshes its nonce (a warn per sign-in would bury the real refusals).
   */
  private answered(flow: Flow, req: SipRequest, status: number, startedAt: bigint, pool?: string, reason?: string, challenge = false): void {
    this.o.metrics?.answered(req.method, status, flow.transport, startedAt, pool);
    if (req.method === 'REGISTER' && status >= 200 && status < 300) {
      const ending = getHeader(req, 'Expires')?.trim() === '0' || /;\s*expires\s*=\s*0\b/i.test(getHeaders(req, 'Contact').join(','));
      this.o.metrics?.registered(ending ? 'unregister' : 'register');
    }
    const warn = status >= 400 && !challenge;
    if (!warn && !this.o.logger.isLevelEnabled('debug')) return;
    const fields = { flow: flow.id, transport: flow.transport, method: req.method, callId: getHeader(req, 'Call-ID'), user: userOf(req, flow), status, reason, pool, durationMs: Number(process.hrtime.bigint() - startedAt) / 1e6 };
    this.o.logger.debug(fields, 'SIP response');
    if (warn) this.o.logger.warn(fields, `SIP request refused: ${status} ${reason ?? ''}`.trim());
  }

  /**
   * A connection's first authenticated request: it counts against its user's connections (at most
   * `perUserConnections`; past that it stays not signed in, and the idle timeout closes it).
   */
  private signIn(flow: Flow, user: string): boolean {
    if (flow.reliable) {
      if (!this.userConnections.tryAcquire(user)) {
        this.o.logger.info({ flow: flow.id, remote: flow.remote.address, user }, 'too many connections for one user: not signed in');
        flow.user = undefined;
        this.gate.penalize(flow);
        return false;
      }
      this.connectionUser.set(flow.id, user);
    }
    flow.markSignedIn?.();
    flow.signedIn = true;
    return true;
  }

  /** Takes a slot of the connection and of the edge for a request; the 503 to answer when there is none. */
  private admit(flow: Flow, req: SipRequest): SipResponse | undefined {
    if (!this.perConnection.tryAcquire(flow.id)) return this.busy(req, 'connection', flow);
    if (!this.total.tryAcquire('')) {
      this.perConnection.release(flow.id);
      return this.busy(req, 'edge', flow);
    }
    this.gate.update(flow);
    return undefined;
  }

  private leave(flow: Flow): void {
    this.perConnection.release(flow.id);
    this.total.release('');
    this.gate.update(flow);
  }

  /**
   * A response too large for one UDP datagram cannot be sent on the request's transport (RFC 3261
   * §18.2.2 sends responses where the request came from; a datagram holds at most 65,507 bytes):
   * it is replaced by 513 Message Too Large, and logged, never dropped silently. TCP/TLS take any size.
   */
  private fitFlow(flow: Flow, response: SipResponse, req: SipRequest): SipResponse {
    if (flow.reliable) return response;
    const size = serialize(response).length;
    if (size <= MAX_DATAGRAM) return response;
    this.o.logger.warn({ flow: flow.id, method: req.method, status: response.status, size, max: MAX_DATAGRAM }, 'response too large for UDP: answering 513 instead (the client should use TCP or TLS)');
    return createResponse(req, 513, { toTag: randomToken(), reason: 'Response Too Large For UDP', headers: [{ name: 'Server', value: SERVER }] });
  }

  /** 503 with Retry-After (RFC 3261 §21.5.4): too much of this connection's, user's or the edge's work in progress. */
  private busy(req: SipRequest, what: 'connection' | 'user' | 'edge' | 'user rate', flow: Flow, waitMs?: number): SipResponse {
    this.gate.penalize(flow);
    this.o.logger.debug({ flow: flow.id, remote: flow.remote.address, user: flow.user, method: req.method, limit: what }, 'request refused by a limit: 503');
    return createResponse(req, 503, {
      toTag: randomToken(),
      reason: waitMs === undefined ? 'Too Many Requests In Progress' : 'Too Many Requests',
      headers: [{ name: 'Retry-After', value: String(waitMs === undefined ? RETRY_AFTER_S : Math.max(1, Math.ceil(waitMs / 1000))) }],
    });
  }

  /** A failure while serving: 503 with Retry-After when a dependency is away or a service is full, 500 otherwise. */
  private failed(req: SipRequest, e: unknown, flow: Flow): SipResponse {
    const dependency = unavailableDependency(e);
    if (dependency === undefined) {
      this.o.logger.error({ err: e, method: req.method, flow: flow.id, callId: getHeader(req, 'Call-ID'), user: userOf(req, flow) }, 'request failed');
      return createResponse(req, 500, { toTag: randomToken() });
    }
    if (dependency === 'overloaded') this.o.logger.debug({ method: req.method, flow: flow.id, err: (e as Error).message }, 'service overloaded: 503');
    else this.o.logger.warn({ dependency, method: req.method, flow: flow.id, callId: getHeader(req, 'Call-ID'), user: userOf(req, flow), err: (e as Error).message }, `${dependency} unavailable: answering 503`);
    return createResponse(req, 503, { toTag: randomToken(), headers: [{ name: 'Retry-After', value: String(RETRY_AFTER_S) }] });
  }

  /** RFC 3261 §18.2.1 and RFC 3581: record where the request really came from in the top Via. */
  private stampVia(req: SipRequest, flow: Flow): SipRequest {
    const i = req.headers.findIndex((h) => h.name === 'Via');
    const v = parseVia(req.headers[i]!.value);
    if (!v.ok) return req;
    const params = v.value.params.map(([n, val]) =>
      n.toLowerCase() === 'rport' && val === undefined ? (['rport', String(flow.remote.port)] as const) : ([n, val] as const),
    );
    const received = v.value.host !== flow.remote.address ? [['received', flow.remote.address] as const] : [];
    const value = `SIP/2.0/${v.value.transport} ${v.value.host}${v.value.port === undefined ? '' : `:${v.value.port}`}${[...params, ...received]
      .map(([n, val]) => `;${n}${val === undefined ? '' : `=${val}`}`)
      .join('')}`;
    const headers = req.headers.slice();
    headers[i] = { name: 'Via', value };
    return { ...req, headers };
  }

  private async process(flow: Flow, req: SipRequest): Promise<Handled> {
    const response = await this.respond(flow, req);
    return 'response' in response ? response : { response };
  }

  private async respond(flow: Flow, req: SipRequest): Promise<SipResponse | Handled> {
    const reply = (status: number, headers: SipHeader[] = [], reason?: string) =>
      createResponse(req, status, { toTag: randomToken(), headers, ...(reason ? { reason } : {}) });

    const mf = getHeader(req, 'Max-Forwards');
    if (mf !== undefined && Number(mf) === 0 && req.method !== 'OPTIONS') return reply(483);
    // A partner's NOTIFY for a subscription this edge relayed goes on to the watcher (issue 14 item 5).
    if (req.method === 'NOTIFY' && this.o.partners?.configured) {
      const relayed = await this.o.partners.relayNotify(req, flow);
      if (relayed) return relayed;
    }
    if (NOT_HERE.has(req.method) || (req.method === 'MESSAGE' && !this.o.messages)) return reply(405, [{ name: 'Allow', value: ALLOW }]);
    if (!['REGISTER', 'OPTIONS', 'SUBSCRIBE', 'SERVICE', 'PUBLISH', 'MESSAGE', 'CANCEL'].includes(req.method)) return reply(501);
    if (!parseUri(req.uri).ok) return reply(400, [], 'Bad Request-URI');
    if (req.method === 'CANCEL') return reply(481); // non-INVITE requests are answered at once: nothing to cancel
    if (req.method === 'OPTIONS') return this.options(req);

    const from = parseNameAddr(getHeader(req, 'From')!);
    const fromUri = from.ok ? parseUri(from.value.uri) : undefined;
    if (!fromUri?.ok) return reply(400, [], 'Bad From Header');
    const fromAor = addressOfRecord(fromUri.value);
    const partners = this.o.partners?.configured ? this.o.partners : undefined;
    const partnerUser = partners?.trusts(flow, fromAor) === true;
    // Issue 14 item 5: with partners configured, a From in a domain neither served nor federated is refused.
    if (!partnerUser && partners?.refuses(fromAor)) return reply(403, [], 'Domain Not Federated');
    if (partnerUser) {
      // A partner's server speaks for its users: no challenge, no per-user connection count.
      flow.markSignedIn?.();
      flow.signedIn = true;
    }
    const auth = partnerUser ? ({ ok: true, user: fromAor } as const) : await this.o.authenticator.authenticate(flow, req, fromAor);
    if (!auth.ok) {
      // A challenge to a request without credentials is the normal first step, not a failure.
      if (getHeader(req, 'Authorization') !== undefined || getHeader(req, 'Proxy-Authorization') !== undefined) this.o.metrics?.authFailed(auth.response.status);
      return auth.response;
    }
    setSpanUser(auth.user);
    if (auth.user !== fromAor) {
      this.o.metrics?.authFailed(403);
      return reply(403, [], 'From Does Not Match The Authenticated User');
    }
    if (!partnerUser && !flow.signedIn && !this.signIn(flow, auth.user)) {
      return reply(503, [{ name: 'Retry-After', value: String(RETRY_AFTER_S) }], 'Too Many Connections');
    }

    const waitMs = this.userRate.take(auth.user);
    if (waitMs > 0) return this.busy(req, 'user rate', flow, waitMs);
    if (!this.perUser.tryAcquire(auth.user)) return this.busy(req, 'user', flow);
    try {
      // A local user's request for a partner's user goes out to the partner (never a partner's own: no transit).
      const partner = partnerUser ? undefined : partners?.targetOf(req);
      if (partner) return await partners!.forward(req, flow, partner);
      return await this.serve(req, flow, auth.user, from.ok ? param(from.value.params, 'epid') : undefined);
    } finally {
      this.perUser.release(auth.user);
    }
  }

  /** An authenticated request: REGISTER here, the others to the service that owns them. */
  private async serve(req: SipRequest, flow: Flow, user: string, epid: string | undefined): Promise<SipResponse | Handled> {
    if (req.method === 'REGISTER') return this.o.registrar.register(req, flow, user);
    if (req.method === 'MESSAGE' && this.o.messages) return this.o.messages.relay.relay(req, user, epid);
    const reply = (status: number, headers: SipHeader[] = [], reason?: string) =>
      createResponse(req, status, { toTag: randomToken(), headers, ...(reason ? { reason } : {}) });
    const route = routeRequest(req);
    if ('status' in route) return reply(route.status, route.allowEvents ? [{ name: 'Allow-Events', value: ALLOW_EVENTS }] : [], route.reason);
    // The router's tables are plain objects: a Content-Type such as `constructor` must not reach the bus.
    if (!Object.hasOwn(sipRequestCommands, route.service)) return reply(req.method === 'SERVICE' ? 415 : 489);
    const pool = await this.poolFor(req, user);
    if (pool === undefined) return reply(404, [], 'Unknown Pool');
    return this.forward(req, flow, user, route.service, epid, pool);
  }

  /**
   * The pool a request goes to ([DESIGN] Pools): the pool a pool-GRUU Request-URI names
   * ([MS-PRES] §3.4.5.1.3.1); for a single category SUBSCRIBE the target's home pool (it is routed
   * by To); otherwise the sender's home pool, where their own data lives. Undefined: an unknown pool GRUU.
   */
  private async poolFor(req: SipRequest, user: string): Promise<string | undefined> {
    const addressed = this.o.pools.ofUri(req.uri);
    if (addressed === 'unknown') return undefined;
    if (addressed) return addressed.id;
    const event = (getHeader(req, 'Event') ?? '').split(';')[0]!.trim().toLowerCase();
    const batch = /adhoclist/i.test(getHeaders(req, 'Require').join(',')) && /categorylist/i.test(getHeaders(req, 'Require').join(','));
    if (req.method === 'SUBSCRIBE' && event === 'presence' && !batch) {
      const to = parseNameAddr(getHeader(req, 'To') ?? '');
      const toUri = to.ok ? parseUri(to.value.uri) : undefined;
      if (toUri?.ok) return this.o.pools.home(addressOfRecord(toUri.value));
    }
    return this.o.pools.home(user);
  }

  private options(req: SipRequest): SipResponse {
    return createResponse(req, 200, {
      toTag: randomToken(),
      headers: [
        { name: 'Allow', value: ALLOW },
        { name: 'Accept', value: ACCEPTED_SERVICE_TYPES.join(', ') },
        { name: 'Allow-Events', value: ALLOW_EVENTS },
        ...SUPPORTED.map((t) => ({ name: 'Supported', value: t })),
      ],
    });
  }

  /**
   * Hands the request to its service, with the time the edge will wait for it (`budgetMs`): a
   * service that does not answer in time gives 503 with Retry-After (see {@link failed}), and the
   * service writes nothing once that time has run out.
   */
  private async forward(req: SipRequest, flow: Flow, user: string, service: keyof typeof sipRequestCommands, epid: string | undefined, pool: string): Promise<Handled> {
    const timeoutMs = this.o.requestTimeoutMs;
    const answer: SipReply = await this.o.bus.request(
      sipRequestCommands[service],
      pool,
      {
        method: req.method,
        uri: req.uri,
        headers: req.headers.map((h) => ({ name: h.name, value: h.value })),
        body: req.body.toString('utf8'),
        user,
        ...(epid !== undefined ? { epid } : {}),
        edgeId: this.o.edgeId,
        connectionId: flow.id,
        transport: flow.transport,
        budgetMs: Math.max(100, timeoutMs - REPLY_MARGIN_MS),
      },
      { timeoutMs },
    );
    const response = createResponse(req, answer.status, {
      toTag: answer.toTag ?? randomToken(),
      headers: (answer.headers ?? []).map((h) => ({ name: h.name, value: lineSafe(h.value) })),
      body: Buffer.from(answer.body ?? '', 'utf8'),
      ...(answer.reason ? { reason: lineSafe(answer.reason).slice(0, 200) } : {}),
    });
    return answer.followUps ? { response, followUps: answer.followUps, pool } : { response, pool };
  }
}
