import { InvalidSubjectTokenError } from './errors.js';

/**
 * Every NATS subject, stream and consumer name is built here and nowhere else.
 *
 *   pres.<pool>.<service>.<op>     commands to a pool's service (queue group = service)
 *   sip.edge.<edgeId>.<op>         commands to one edge instance (it owns the client connections)
 *   pres.<pool>.evt.<event>        events, stored in the pool's JetStream stream
 */
const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

/** Checks that `value` is a safe subject token and returns it. */
export function token(value: string, role: string): string {
  if (!TOKEN.test(value)) throw new InvalidSubjectTokenError(value, role);
  return value;
}

export function commandSubject(pool: string, service: string, op: string): string {
  return `pres.${token(pool, 'pool id')}.${token(service, 'service name')}.${token(op, 'operation')}`;
}

export function edgeSubject(edgeId: string, op: string): string {
  return `sip.edge.${token(edgeId, 'edge id')}.${token(op, 'operation')}`;
}

export function eventSubject(pool: string, event: string): string {
  return `pres.${token(pool, 'pool id')}.evt.${token(event, 'event name')}`;
}

/** All event subjects of a pool, as captured by its stream. */
export function poolEventsWildcard(pool: string): string {
  return `pres.${token(pool, 'pool id')}.evt.>`;
}

/** One JetStream stream per pool, so pools are isolated and can be removed on their own. */
export function eventStreamName(pool: string): string {
  return `PRES_EVENTS_${token(pool, 'pool id')}`;
}

/** The durable consumer shared by every instance of `service` for one event. */
export function durableName(service: string, event: string): string {
  return `${token(service, 'service name')}--${token(event, 'event name')}`;
}
