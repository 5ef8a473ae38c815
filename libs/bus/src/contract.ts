import { commandSubject, edgeSubject, eventSubject, token } from './subjects.js';

/** The services of a pool. Each name is a subject token and a queue group. */
export const SERVICE_NAMES = ['sip-edge', 'publication', 'aggregation', 'subscription', 'federation', 'web', 'xmpp-edge'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/**
 * A request/reply command. `Req` and `Res` exist only for the type checker: they tie the payload
 * a caller sends to what the handler receives and what it answers.
 * `scope` is a pool id for pool services, an edge id for commands to one edge.
 */
export interface CommandDef<Req, Res> {
  readonly name: string;
  /** Queue group that shares the work between instances. */
  readonly queue: string;
  subject(scope: string): string;
  /** Phantom fields: never set at run time. */
  readonly __req?: Req;
  readonly __res?: Res;
}

/**
 * An event that must not be lost: stored in JetStream, delivered at least once to each declared
 * consumer service (one instance of it), de-duplicated by message id on publish.
 */
export interface EventDef<P> {
  readonly name: string;
  /** The services with a durable consumer for this event. */
  readonly consumers: readonly string[];
  subject(pool: string): string;
  readonly __payload?: P;
}

/** A command handled by one service of a pool: `pres.<pool>.<service>.<op>`. */
export function defineCommand<Req, Res>(service: string, op: string): CommandDef<Req, Res> {
  token(service, 'service name');
  token(op, 'operation');
  return { name: `${service}.${op}`, queue: service, subject: (pool) => commandSubject(pool, service, op) };
}

/** A command handled by one particular edge instance: `sip.edge.<edgeId>.<op>`. */
export function defineEdgeCommand<Req, Res>(op: string): CommandDef<Req, Res> {
  token(op, 'operation');
  return { name: `sip-edge.${op}`, queue: 'sip-edge', subject: (edgeId) => edgeSubject(edgeId, op) };
}

export function defineEvent<P>(name: string, consumers: readonly string[]): EventDef<P> {
  token(name, 'event name');
  for (const c of consumers) token(c, 'service name');
  return { name, consumers, subject: (pool) => eventSubject(pool, name) };
}

/** Answer to a liveness ping over the bus: which instance of which service answered. */
export interface PingReply {
  service: string;
  instance: string;
  pool: string;
}

/** `<service>.ping` for each service: proves an instance is subscribed and serving. */
export const pingCommands: Readonly<Record<ServiceName, CommandDef<Record<string, never>, PingReply>>> = Object.freeze(
  Object.fromEntries(SERVICE_NAMES.map((s) => [s, defineCommand<Record<string, never>, PingReply>(s, 'ping')])) as Record<
    ServiceName,
    CommandDef<Record<string, never>, PingReply>
  >,
);

/** Why an endpoint's registration ended. */
export type EndpointGoneReason = 'unregistered' | 'expired' | 'connection-lost' | 'replaced' | 'signed-out';

/**
 * An endpoint's registration ended (REGISTER Expires: 0, expiry, lost connection). Publication drops
 * its endpoint-bound instances and, with the user's last endpoint, the user-bound ones; subscription
 * ends the endpoint's dialogs ([MS-PRES] §3.2.5.1.2 expireType).
 */
export interface EndpointGone {
  user: string;
  epid: string;
  reason: EndpointGoneReason;
  /** Whether this was the user's last registered endpoint. */
  lastEndpoint: boolean;
  at: string;
}

// The gateways (web, xmpp-edge) consume it to end the session of an endpoint the registrar ended.
export const endpointGone = defineEvent<EndpointGone>('endpoint-gone', ['publication', 'subscription', 'aggregation', 'federation', 'web', 'xmpp-edge']);

/** A header as it crosses the bus: canonical name, raw value. */
export interface BusHeader {
  name: string;
  value: string;
}

/**
 * A SIP request the edge hands to the service that owns it. The body is UTF-8 text (every body this
 * server takes is XML). The edge has already authenticated the sender, so `user` is trusted.
 */
export interface SipRequestCommand {
  method: string;
  uri: string;
  headers: BusHeader[];
  body: string;
  /** The authenticated address of record of the sender (`sip:alice@contoso.com`). */
  user: string;
  /** The sending endpoint's id (`epid` of the From header), if any. */
  epid?: string;
  /** Where the request came from: NOTIFYs for a dialog it creates go back through this edge and connection. */
  edgeId: string;
  connectionId: string;
  /** How the endpoint is connected: a SIP transport, or a gateway's session (web, XMPP). */
  transport: 'udp' | 'tcp' | 'tls' | 'web' | 'xmpp';
  /**
   * Milliseconds the edge still waits for the answer when it sends the request. The service counts
   * them from receipt and writes nothing after they run out: a request the edge already answered
   * with 503 leaves no state behind (no dialog, no publication).
   */
  budgetMs?: number;
}

/** The service's answer; the edge turns it into the SIP response (Via, From, To, Call-ID, CSeq copied). */
export interface SipReply {
  status: number;
  reason?: string;
  /** To-tag for a dialog-creating response. */
  toTag?: string;
  headers?: BusHeader[];
  body?: string;
  /**
   * Requests the edge sends on the same connection right after the response, in order: the first
   * NOTIFY of a new subscription must not overtake the 200 that creates the dialog (RFC 6665 §4.1.2.4).
   */
  followUps?: Omit<EdgeSendRequest, 'connectionId'>[];
}

/** The services that take SIP requests from the edge, each on `pres.<pool>.<service>.sip-request`. */
export const SIP_SERVICES = ['publication', 'subscription', 'federation'] as const;
export type SipServiceName = (typeof SIP_SERVICES)[number];
export const sipRequestCommands: Readonly<Record<SipServiceName, CommandDef<SipRequestCommand, SipReply>>> = Object.freeze({
  publication: defineCommand<SipRequestCommand, SipReply>('publication', 'sip-request'),
  subscription: defineCommand<SipRequestCommand, SipReply>('subscription', 'sip-request'),
  federation: defineCommand<SipRequestCommand, SipReply>('federation', 'sip-request'),
});

/**
 * Asks the edge that holds a client's connection to send it a request (NOTIFY or BENOTIFY). The
 * edge adds Via, Max-Forwards and Content-Length. The outcome of a NOTIFY arrives later as a
 * {@link NotifyOutcome} event with the same `ref`; a BENOTIFY has none (no response is sent to it).
 */
export interface EdgeSendRequest {
  /** The sender's pool: the NOTIFY's outcome event goes to that pool's stream. */
  pool: string;
  connectionId: string;
  method: 'NOTIFY' | 'BENOTIFY';
  uri: string;
  headers: BusHeader[];
  body: string;
  ref: string;
  /**
   * The CSeq the dialog used just before this one. The edge holds this request until that one has
   * gone out (or a short while has passed), so notifications on a dialog leave in CSeq order even
   * when several service instances send them. Omitted when the previous CSeq went out in a 200.
   */
  prevCseq?: number;
}

export interface EdgeSendReply {
  sent: boolean;
  /** Why it was not sent. */
  reason?: 'connection-gone';
}

export const edgeSend = defineEdgeCommand<EdgeSendRequest, EdgeSendReply>('send');

/** One request of an {@link EdgeSendBatchRequest}: its body is an index into the batch's bodies. */
export interface EdgeSendBatchItem extends Omit<EdgeSendRequest, 'pool' | 'body'> {
  body: number;
}

/**
 * Many requests for one edge in one message (a change's fan-out): each distinct body once, the
 * requests in the order the edge handles them, as if each came in its own `send`.
 */
export interface EdgeSendBatchRequest {
  pool: string;
  bodies: string[];
  items: EdgeSendBatchItem[];
}

export interface EdgeSendBatchReply {
  /** Per item, as {@link EdgeSendReply.sent}. */
  sent: boolean[];
}

export const edgeSendBatch = defineEdgeCommand<EdgeSendBatchRequest, EdgeSendBatchReply>('send-batch');

/**
 * A page-mode instant message (RFC 3428) for a user, whichever edge it came in on (SIP MESSAGE,
 * XMPP `<message>`). Sent to the recipient's home pool; that pool's federation service relays it
 * to every registered endpoint of the user through the edge that holds each endpoint's connection
 * ({@link edgeDeliverMessage}). Messages are not stored.
 */
export interface PageMessage {
  /** Addresses of record (`sip:alice@contoso.com`). `from` is authenticated by the edge. */
  from: string;
  to: string;
  contentType: string;
  body: string;
  /** The sender's endpoint, so it is not sent its own message back. */
  fromEpid?: string;
  /** Correlates the deliveries in logs and, for SIP, becomes the relayed MESSAGE's Call-ID. */
  callId?: string;
}

export interface PageMessageReply {
  /** 200 delivered to at least one endpoint; 404 unknown user; 480 no endpoint took it; 413/415/400 refused. */
  status: number;
  reason?: string;
  /** How many endpoints accepted it. */
  delivered: number;
}

export const pageMessage = defineCommand<PageMessage, PageMessageReply>('federation', 'message');

/** Hands a {@link PageMessage} to the edge that holds one endpoint's connection. */
export interface EdgeDeliverMessage extends PageMessage {
  connectionId: string;
  /** The recipient endpoint. */
  epid: string;
}

export interface EdgeDeliverMessageReply {
  /** The endpoint accepted it (SIP: a 2xx to the relayed MESSAGE; XMPP: the stanza was written). */
  delivered: boolean;
  /** The endpoint's final status when it answered (SIP). */
  status?: number;
}

export const edgeDeliverMessage = defineEdgeCommand<EdgeDeliverMessage, EdgeDeliverMessageReply>('deliver-message');

/** Tells the gateway edge that holds an endpoint's session that the endpoint was ended elsewhere (replaced, signed out). */
export interface EdgeEndEndpoint {
  user: string;
  connectionId: string;
  epid: string;
  reason: EndpointGoneReason;
}

export interface EdgeEndEndpointReply {
  /** A session of that endpoint was here and is ended. */
  ended: boolean;
}

export const edgeEndEndpoint = defineEdgeCommand<EdgeEndEndpoint, EdgeEndEndpointReply>('end-endpoint');

/** The final outcome of a NOTIFY sent through an edge: a response, or no response at all. */
export interface NotifyOutcome {
  ref: string;
  edgeId: string;
  connectionId: string;
  callId: string;
  /** The final response status, when one came. */
  status?: number;
  /** No final response: Timer F fired (RFC 3261 §17.1.2.2), or the connection closed first. */
  failure?: 'timeout' | 'connection-lost';
}

export const notifyOutcome = defineEvent<NotifyOutcome>('notify-outcome', ['subscription', 'federation']);

/** A new endpoint registered (not a refresh). The publication service makes its server publications. */
export interface EndpointRegistered {
  user: string;
  epid: string;
  /** Whether it is the user's only endpoint now (first sign-in). */
  firstEndpoint: boolean;
  at: string;
}

export const endpointRegistered = defineEvent<EndpointRegistered>('endpoint-registered', ['publication']);

/**
 * A user's presence data changed (committed): which (container, category) pairs, containers,
 * subscriber list or delegate set. Consumers read the current state; the event carries no data, so a
 * late or repeated event can never bring back an older state.
 */
export interface PresenceChanged {
  user: string;
  categories?: { container: number; name: string }[];
  containers?: number[];
  subscribers?: boolean;
  delegates?: boolean;
  /**
   * The change carried the computed instances it triggers, planned on the inputs as committed
   * (`commitWithAggregation` of libs/runtime): no `aggregation-due` is announced for it.
   */
  aggregated?: boolean;
  at: string;
}

export const presenceChanged = defineEvent<PresenceChanged>('presence-changed', ['subscription', 'federation']);

/**
 * The same announcement again, for the aggregation service only, of a change that can trigger
 * aggregation ([MS-PRES] §3.8; `triggeredBy` of libs/presence) and did not carry its computed
 * instances (`aggregated`). Most changes cannot trigger it (a note, a contact card), and a publish,
 * an expiry or a sign-out commits its computed instances itself: the aggregation service is not
 * woken for them, nor does the stream keep them for it (issue 13: receiving and acknowledging every
 * change cost it and NATS ~30 µs per notification).
 */
export const aggregationDue = defineEvent<PresenceChanged>('aggregation-due', ['aggregation']);

/** Moves a user to another pool (an operator's action); handled by the subscription service of the user's current pool. */
export interface MoveUserRequest {
  user: string;
  to: string;
}

export interface MoveUserReply {
  from: string;
  to: string;
  /** Records moved, per collection. */
  moved: Record<string, number>;
  /** Dialogs ended with a terminating NOTIFY (watchers of the user and the user's own). */
  dialogsEnded: number;
}

export const moveUser = defineCommand<MoveUserRequest, MoveUserReply>('subscription', 'move-user');

/**
 * Replaces a user's contact list (an operator's action: seeding, migrating users); handled by the
 * subscription service of the user's home pool. Groups are named; contacts name their groups.
 */
export interface SetContactListRequest {
  user: string;
  groups: { name: string; externalURI?: string }[];
  contacts: { uri: string; name?: string; groups?: string[]; subscribed?: boolean; externalURI?: string }[];
}

export interface SetContactListReply {
  deltaNum: number;
  groups: number;
  contacts: number;
}

export const setContactList = defineCommand<SetContactListRequest, SetContactListReply>('subscription', 'set-contact-list');

/** Every event of the contract. */
export const allEvents: readonly EventDef<unknown>[] = [endpointGone, notifyOutcome, endpointRegistered, presenceChanged, aggregationDue] as EventDef<unknown>[];
