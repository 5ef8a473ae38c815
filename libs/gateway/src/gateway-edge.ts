import {
  edgeDeliverMessage,
  edgeEndEndpoint,
  edgeSend,
  edgeSendBatch,
  endpointGone,
  notifyOutcome,
  type Bus,
  type BusSubscription,
  type EdgeDeliverMessage,
  type EdgeDeliverMessageReply,
  type EdgeEndEndpoint,
  type EdgeSendRequest,
} from '@presence/bus';
import type { Pools } from '@presence/runtime';
import { getRecord, remove, type Store } from '@presence/state';
import type { Logger } from '@presence/telemetry';
import { endpointOwners } from './registrar.js';

/** What a gateway holds: its sessions' connections, by the connection id their endpoints registered with. */
export interface GatewayConnections {
  /** A NOTIFY/BENOTIFY the services sent to one of this edge's connections; false when that connection is gone. */
  deliver(req: EdgeSendRequest): boolean;
  /** The endpoint of a session here was ended by someone else (replaced, signed out, expired): end the session. */
  endEndpoint(e: EdgeEndEndpoint): Promise<boolean> | boolean;
  /** A page-mode message (or another hand-over) for one endpoint here. */
  deliverMessage?(m: EdgeDeliverMessage): EdgeDeliverMessageReply;
}

export interface GatewayEdgeOptions {
  readonly bus: Bus;
  readonly store: Store;
  readonly pools: Pools;
  readonly edgeId: string;
  /** The service consuming `endpoint-gone` (a declared consumer of the event). */
  readonly consumer: 'web' | 'xmpp-edge';
  /** The endpoints this gateway owns, by registration transport. */
  readonly transport: 'web' | 'xmpp';
  readonly logger: Logger;
  readonly connections: GatewayConnections;
  /**
   * Whether any instance can end any session (the web's sessions live in the store): then the
   * instance that gets `endpoint-gone` ends it itself; otherwise the owning instance is asked.
   */
  readonly sharedSessions?: boolean;
  /** How long to wait for another instance to end a session it holds. */
  readonly requestTimeoutMs: number;
}

const header = (req: EdgeSendRequest, name: string) => req.headers.find((h) => h.name.toLowerCase() === name)?.value ?? '';

/**
 * The edge commands of a gateway instance (`sip.edge.<edgeId>.*`): notifications for its
 * connections, answered as a SIP client answers a NOTIFY (RFC 6665 §4.1.3: 200, or 481 when the
 * subscriber is gone, which ends the dialog), and the ending of its sessions whose endpoints the
 * registrar ended (`endpoint-gone`, e.g. REGISTER_MAX_ENDPOINTS replacement or an admin sign-out).
 */
export async function serveGatewayEdge(o: GatewayEdgeOptions): Promise<{ stop(): Promise<void> }> {
  const outcome = (req: EdgeSendRequest, status: number) => {
    const callId = header(req, 'call-id');
    void o.bus
      .publish(notifyOutcome, req.pool, { ref: req.ref, edgeId: o.edgeId, connectionId: req.connectionId, callId, status }, { msgId: `notify-outcome:${req.ref}` })
      .catch((e: unknown) => o.logger.warn({ err: e }, 'could not publish a NOTIFY outcome'));
  };
  const send = (req: EdgeSendRequest) => {
    let sent = false;
    try {
      sent = o.connections.deliver(req);
    } catch (e) {
      // A notification this gateway cannot turn into its protocol is its own problem, not the dialog's.
      o.logger.warn({ err: e, connectionId: req.connectionId }, 'a notification could not be handed to its session');
      sent = true;
    }
    if (req.method === 'NOTIFY') outcome(req, sent ? 200 : 481);
    return sent ? { sent } : { sent, reason: 'connection-gone' as const };
  };
  const queue = { queue: `edge-${o.edgeId}` };
  const subs: BusSubscription[] = [
    await o.bus.handle(edgeSend, o.edgeId, send, queue),
    await o.bus.handle(edgeSendBatch, o.edgeId, (req) => ({ sent: req.items.map((item) => send({ ...item, pool: req.pool, body: req.bodies[item.body] ?? '' }).sent) }), queue),
    await o.bus.handle(edgeEndEndpoint, o.edgeId, async (req) => ({ ended: await o.connections.endEndpoint(req) }), queue),
  ];
  const deliverMessage = o.connections.deliverMessage?.bind(o.connections);
  if (deliverMessage) subs.push(await o.bus.handle(edgeDeliverMessage, o.edgeId, (m) => deliverMessage(m), queue));
  // One instance of the gateway service gets each event: it finds the owner and has it end the session.
  for (const pool of o.pools.all) {
    subs.push(
      await o.bus.consume(endpointGone, pool.id, o.consumer, async (e) => {
        const p = { pool: pool.id, user: e.user };
        const owner = await getRecord(o.store, p, endpointOwners, e.epid);
        if (!owner || owner.value.transport !== o.transport) return;
        const req: EdgeEndEndpoint = { user: e.user, epid: e.epid, connectionId: owner.value.connectionId, reason: e.reason };
        try {
          if (owner.value.edgeId === o.edgeId || o.sharedSessions) await o.connections.endEndpoint(req);
          else await o.bus.request(edgeEndEndpoint, owner.value.edgeId, req, { timeoutMs: o.requestTimeoutMs });
        } catch (err) {
          // The owning instance is gone, and its sessions with it.
          o.logger.info({ err, user: e.user, epid: e.epid, edgeId: owner.value.edgeId }, 'the gateway holding an ended endpoint did not answer');
        }
        await o.store.apply(p, [remove(endpointOwners, e.epid, { expect: owner.version })]);
      }),
    );
  }
  return {
    stop: async () => {
      for (const s of subs.splice(0).reverse()) await s.stop();
    },
  };
}
