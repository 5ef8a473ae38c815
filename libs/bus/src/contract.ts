import { commandSubject, edgeSubject, eventSubject, token } from './subjects.js';

/** The services of a pool. Each name is a subject token and a queue group. */
export const SERVICE_NAMES = ['sip-edge', 'publication', 'aggregation', 'subscription', 'federation'] as const;
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
export type EndpointGoneReason = 'unregistered' | 'expired' | 'connection-lost' | 'replaced';

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

export const endpointGone = defineEvent<EndpointGone>('endpoint-gone', ['publication', 'subscription', 'aggregation']);

/** Every event of the contract; NATS creates their durable consumers when a pool's stream is set up. */
export const allEvents: readonly EventDef<unknown>[] = [endpointGone as EventDef<unknown>];
