import { edgeDeliverMessage, type Bus, type PageMessage, type PageMessageReply } from '@presence/bus';
import type { Pools, UserDirectory } from '@presence/runtime';
import { listRecords, registrations, type Store } from '@presence/state';
import type { Logger } from '@presence/telemetry';

/**
 * How long an edge may take to answer one delivery: its own wait for the endpoint (5 s, the SIP
 * edge's `MESSAGE_DELIVERY_TIMEOUT_MS`) and a margin for the bus.
 */
export const EDGE_DELIVERY_WAIT_MS = 6000;
/** The largest body relayed, whichever edge sent it (the SIP edge's own limit, `SIP_MESSAGE_MAX_BYTES`, is lower by default). */
export const MAX_MESSAGE_BYTES = 1_048_576;
/** Most endpoints one message goes to (a user has at most `REGISTER_MAX_ENDPOINTS`, 8 by default). */
const MAX_ENDPOINTS = 64;

export interface MessageDeps {
  store: Store;
  bus: Bus;
  logger: Logger;
  pools: Pools;
  domains: readonly string[];
  directory?: UserDirectory;
}

const SIP_AOR = /^sip:[^@\s]+@[^@\s]+$/;

/**
 * A page-mode message for a user homed in this pool (RFC 3428): relayed at once to every registered
 * endpoint of the recipient, each through the edge that holds its connection, in parallel. 200 when
 * at least one endpoint took it (RFC 3428 §7 lets a relay answer for its targets), 480 when none did
 * or there is none (RFC 3261 §21.4.18: the user is known but not reachable now), 404 for a user the
 * directory does not know. Nothing is stored: a message nobody took is gone.
 */
export async function handleMessage(d: MessageDeps, m: PageMessage): Promise<PageMessageReply> {
  const refuse = (status: number, reason: string): PageMessageReply => ({ status, reason, delivered: 0 });
  // The payload crossed the bus from any edge (SIP or XMPP): checked like client input.
  if (typeof m !== 'object' || m === null || typeof m.from !== 'string' || typeof m.to !== 'string' || typeof m.body !== 'string' || typeof m.contentType !== 'string') {
    return refuse(400, 'Bad Message');
  }
  if (!SIP_AOR.test(m.from) || !SIP_AOR.test(m.to)) return refuse(400, 'Bad Address');
  // It becomes a header line at the SIP edge: no control characters (CR/LF would inject headers).
  // eslint-disable-next-line no-control-regex
  if (!/^[^\x00-\x1f\x7f]{1,200}$/.test(m.contentType)) return refuse(400, 'Bad Content-Type');
  if (Buffer.byteLength(m.body, 'utf8') > MAX_MESSAGE_BYTES) return refuse(413, 'Message Too Large');
  const to = m.to.toLowerCase();
  const domain = to.split('@')[1]!;
  if (!d.domains.some((x) => x.toLowerCase() === domain)) return refuse(404, 'Not A Domain Of This Server');
  if (d.directory && !d.directory.get(to)) return refuse(404, 'No Such User');

  const regs = await listRecords(d.store, { pool: await d.pools.home(to), user: to }, registrations);
  // The sender's own endpoint does not get its own message back (a user may message their other endpoints).
  const targets = regs.filter((r) => !(to === m.from.toLowerCase() && m.fromEpid !== undefined && r.id === m.fromEpid)).slice(0, MAX_ENDPOINTS);
  if (targets.length === 0) return refuse(480, 'Temporarily Unavailable');
  const outcomes = await Promise.all(
    targets.map(async (r) => {
      try {
        const res = await d.bus.request(edgeDeliverMessage, r.value.edgeId, { ...m, to, connectionId: r.value.connectionId, epid: r.id }, { timeoutMs: EDGE_DELIVERY_WAIT_MS });
        return res.delivered === true;
      } catch (e) {
        // An edge that is gone or does not answer: that endpoint did not get it; the others still may.
        d.logger.debug({ err: e, to, epid: r.id, edgeId: r.value.edgeId }, 'message not delivered to an endpoint');
        return false;
      }
    }),
  );
  const delivered = outcomes.filter(Boolean).length;
  d.logger.debug({ from: m.from, to, endpoints: targets.length, delivered, callId: m.callId }, 'page-mode message relayed');
  return delivered > 0 ? { status: 200, reason: 'OK', delivered } : refuse(480, 'Temporarily Unavailable');
}
