import { BUS_ERR, RemoteHandlerError } from '@presence/bus';
import { OVERLOAD_CODES } from '@presence/runtime';

/** What a request could not get: the store (Redis), the bus (NATS), or a service with no room for it. */
export type Unavailable = 'redis' | 'nats' | 'overloaded';

const STORE_CODES = new Set(['STATE_ERR_UNAVAILABLE']);
const BUS_CODES = new Set<string>([BUS_ERR.TIMEOUT, BUS_ERR.NO_RESPONDERS, BUS_ERR.CLOSED]);
/** Error names of the NATS client (nats-core, jetstream) when the server is away or slow. */
const NATS_NAMES = new Set([
  'TimeoutError',
  'ClosedConnectionError',
  'ConnectionError',
  'DrainingConnectionError',
  'NoRespondersError',
  'RequestError',
  'JetStreamError',
  'JetStreamApiError',
  'JetStreamStatusError',
  'BusTimeoutError',
  'BusClosedError',
]);

function byCode(code: string): Unavailable | undefined {
  if (STORE_CODES.has(code)) return 'redis';
  if (BUS_CODES.has(code) || NATS_NAMES.has(code)) return 'nats';
  if (OVERLOAD_CODES.includes(code)) return 'overloaded';
  return undefined;
}

/**
 * Which dependency a failure means is unavailable, if any: such a request gets 503 with
 * Retry-After (RFC 3261 §21.5.4), not 500. A handler on the other side of the bus reports its
 * failure by code, so a store outage there is recognised too.
 */
export function unavailableDependency(e: unknown): Unavailable | undefined {
  for (let err = e, depth = 0; err instanceof Error && depth < 5; err = err.cause, depth++) {
    if (err instanceof RemoteHandlerError) return byCode(err.remoteCode);
    const code = (err as { code?: unknown }).code;
    const found = (typeof code === 'string' ? byCode(code) : undefined) ?? byCode(err.name);
    if (found) return found;
  }
  return undefined;
}
