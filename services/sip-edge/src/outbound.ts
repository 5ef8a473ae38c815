import { notifyOutcome, type Bus, type EdgeSendBatchReply, type EdgeSendBatchRequest, type EdgeSendReply, type EdgeSendRequest, type NotifyOutcome } from '@presence/bus';
import {
  addressOfRecord,
  BRANCH_MAGIC_COOKIE,
  branchOf,
  cseqOf,
  getHeader,
  NonInviteClientTransaction,
  parseNameAddr,
  parseUri,
  parseVia,
  randomToken,
  serializeTextRequest,
  realTimers,
  type SipResponse,
  type Timers,
} from '@presence/sip';
import { startSipClientSpan, type Logger, type SipClientSpan } from '@presence/telemetry';
import type { Flow } from './flows.js';
import type { ActiveDialogs } from './metrics.js';
import { DialogSequencer } from './sequencer.js';

/**
 * Branch ids of the requests this edge sends: a random prefix per process and a counter. Unique, as
 * RFC 3261 §8.1.1.7 asks, without drawing random bytes for every request.
 */
const BRANCH_PREFIX = `${BRANCH_MAGIC_COOKIE}${randomToken(4)}`;
let branches = 0;
/** A branch parameter of this process's form in a Via (before any comma: the top Via only). */
const OUR_BRANCH = new RegExp(`^[^,]*;\\s*branch=(${BRANCH_PREFIX}[0-9a-f]{12})(?![0-9A-Za-z.!%*_+\`'~-])`);
const nextBranch = () => `${BRANCH_PREFIX}${(++branches).toString(16).padStart(12, '0')}`;

/**
 * Requests the server sends to clients (NOTIFY, BENOTIFY) on the connection that holds them.
 * A NOTIFY runs in a client transaction and its outcome is published as an event; a BENOTIFY
 * ([MS-SIP] best-effort NOTIFY) gets no response, so it is just written to the connection.
 *
 * Writes are coalesced: what goes to one connection in one turn of the event loop (a fan-out's
 * notifications on it, say) leaves in one write.
 */
/** The watcher a request to a client is for: the AOR of its To header (RFC 6665 §4.2.2: To is the subscriber). */
function watcherOf(headers: readonly { name: string; value: string }[]): string | undefined {
  const to = parseNameAddr(headers.find((h) => h.name.toLowerCase() === 'to')?.value ?? '');
  const uri = to.ok ? parseUri(to.value.uri) : undefined;
  return uri?.ok ? addressOfRecord(uri.value) : undefined;
}

/**
 * Call-ID, CSeq number and Subscription-State of a request the services built, in one pass over
 * its headers (runs per NOTIFY).
 */
function dialogHeaders(headers: readonly { name: string; value: string }[]): { callId: string; cseq: number; subscriptionState: string } {
  let callId = '';
  let cseq = Number.NaN;
  let subscriptionState = '';
  for (const h of headers) {
    const name = h.name.toLowerCase();
    if (name === 'call-id') callId = h.value;
    else if (name === 'cseq') cseq = Number(h.value.split(' ')[0]);
    else if (name === 'subscription-state') subscriptionState = h.value;
  }
  return { callId, cseq, subscriptionState };
}

export class Outbound {
  private readonly pending = new Map<string, { tx: NonInviteClientTransaction; flowId: string; pool: string; outcome: Omit<NotifyOutcome, 'status' | 'failure'>; span?: SipClientSpan | undefined }>();
  private readonly sequencers = new Map<string, DialogSequencer<EdgeSendRequest>>();
  private readonly unwritten = new Map<Flow, Buffer[]>();
  private flushing = false;

  constructor(
    private readonly o: { bus: Bus; edgeId: string; logger: Logger; flows: Map<string, Flow>; timers?: Timers; dialogs?: ActiveDialogs },
  ) {}

  /** Sends now or once the dialog's previous CSeq went out (see {@link DialogSequencer}). */
  send(req: EdgeSendRequest): EdgeSendReply {
    if (!this.o.flows.has(req.connectionId)) return { sent: false, reason: 'connection-gone' };
    const { callId, cseq, subscriptionState } = dialogHeaders(req.headers);
    // RFC 6665 §4.1.3: a NOTIFY with `Subscription-State: terminated` ends the dialog (for the active-dialogs gauge).
    if (this.o.dialogs && req.method === 'NOTIFY' && /^\s*terminated/i.test(subscriptionState)) this.o.dialogs.ended(req.connectionId, callId);
    if (!Number.isSafeInteger(cseq)) return this.transmit(req, callId);
    return { sent: this.sequencer(req.connectionId, callId).offer(cseq, req.prevCseq, req) !== 'stale' };
  }

  /** Many requests from one fan-out (see `EdgeSendBatchRequest`), each handled as {@link send} would. */
  sendBatch(req: EdgeSendBatchRequest): EdgeSendBatchReply {
    const bodies = req.bodies;
    return {
      sent: req.items.map((item) => {
        // One literal per item, no spread-copy (a fan-out's batch is one item per notification).
        const one: EdgeSendRequest = { pool: req.pool, connectionId: item.connectionId, method: item.method, uri: item.uri, headers: item.headers, body: bodies[item.body] ?? '', ref: item.ref };
        if (item.prevCseq !== undefined) one.prevCseq = item.prevCseq;
        return this.send(one).sent;
      }),
    };
  }

  /** Queues `bytes` for `flow`; everything queued in this turn of the event loop goes out in one write per connection. */
  private write(flow: Flow, bytes: Buffer): void {
    if (!flow.reliable) return flow.send(bytes); // a datagram is a message: never merge two
    const q = this.unwritten.get(flow);
    if (q) q.push(bytes);
    else this.unwritten.set(flow, [bytes]);
    if (this.flushing) return;
    this.flushing = true;
    setImmediate(() => {
      this.flushing = false;
      for (const [f, bufs] of this.unwritten) f.send(bufs.length === 1 ? bufs[0]! : Buffer.concat(bufs));
      this.unwritten.clear();
    });
  }

  /**
   * A 200 to a SUBSCRIBE carried the first notification ([MS-SIP] piggyback, `ms-piggyback-cseq`):
   * that CSeq has gone out on the dialog, so the NOTIFY after it need not wait.
   */
  piggybacked(connectionId: string, callId: string, cseq: number): void {
    this.sequencer(connectionId, callId).offer(cseq, undefined, undefined as unknown as EdgeSendRequest);
  }

  /** The dialog's sequencer, kept while the connection lives: it remembers the dialog's last CSeq sent. */
  private sequencer(connectionId: string, callId: string): DialogSequencer<EdgeSendRequest> {
    const key = `${connectionId}|${callId}`;
    let seq = this.sequencers.get(key);
    if (!seq) {
      seq = new DialogSequencer<EdgeSendRequest>((r) => void this.transmit(r, callId), this.o.timers ?? realTimers);
      this.sequencers.set(key, seq);
    }
    return seq;
  }

  /** Sends `req` (undefined: a piggybacked CSeq, which its 200 carried) in a client transaction, or as it is for a BENOTIFY. */
  private transmit(req: EdgeSendRequest | undefined, callId: string): EdgeSendReply {
    if (req === undefined) return { sent: true };
    const flow = this.o.flows.get(req.connectionId);
    if (!flow) return { sent: false, reason: 'connection-gone' };
    const branch = nextBranch();
    const via = `SIP/2.0/${flow.transport.toUpperCase()} ${flow.local.address.includes(':') ? `[${flow.local.address}]` : flow.local.address}:${flow.local.port};branch=${branch}`;
    const bytes = serializeTextRequest(req.method, req.uri, [{ name: 'Via', value: via }, { name: 'Max-Forwards', value: '70' }, ...req.headers], req.body);
    // A CLIENT span per request sent, child of the send-batch's bus span (the fan-out's trace); none without an exporter.
    const span = startSipClientSpan(req.method, { callId, user: () => flow.user ?? watcherOf(req.headers), transport: flow.transport });
    if (req.method === 'BENOTIFY') {
      this.write(flow, bytes);
      span?.end(); // [MS-SIPRE] BENOTIFY: no response comes
      return { sent: true };
    }
    const outcome = { ref: req.ref, edgeId: this.o.edgeId, connectionId: flow.id, callId };
    const key = `${branch}|NOTIFY`;
    const tx = new NonInviteClientTransaction(
      key,
      bytes,
      { reliable: flow.reliable, send: (b: Buffer) => this.write(flow, b) },
      {
        // Only a refusal is news: the subscription service acts on failures (RFC 6665 §4.2.2: 481/408
        // end the subscription) and nothing on a 2xx, which would otherwise cost one JetStream event
        // per notification (issue 13: the largest NATS and edge cost of clustered NOTIFY).
        onFinal: (r) => {
          span?.answered(r.status, r.reason);
          if (r.status >= 300) void this.report(req.pool, { ...outcome, status: r.status });
        },
        onTimeout: () => {
          span?.failed('timeout');
          void this.report(req.pool, { ...outcome, failure: 'timeout' });
        },
      },
      () => this.pending.delete(key),
      this.o.timers,
    );
    this.pending.set(key, { tx, flowId: flow.id, pool: req.pool, outcome, span });
    tx.start();
    return { sent: true };
  }

  /** A response from a client: to one of our NOTIFYs, matched by branch and CSeq method (RFC 3261 §17.1.3). */
  receiveResponse(res: SipResponse, method = cseqOf(res).method): void {
    const top = getHeader(res, 'Via') ?? '';
    // Fast path (issue 13: every NOTIFY of the PIDF path comes back as a 200): our branch read
    // straight from the top Via; our branches are unique to this process, so a hit is ours. A miss
    // (another branch, or one written unusually) goes through the full parser, as before.
    const quick = OUR_BRANCH.exec(top);
    const key = quick && top.startsWith('SIP/2.0/') ? `${quick[1]}|${method}` : undefined;
    const p = key === undefined ? undefined : this.pending.get(key);
    if (p) return p.tx.receiveResponse(res);
    const via = parseVia(top);
    if (!via.ok) return;
    this.pending.get(`${branchOf(via.value)}|${method}`)?.tx.receiveResponse(res);
  }

  /** The connection closed: NOTIFYs waiting on it will get no response. */
  flowClosed(flowId: string): void {
    for (const key of this.sequencers.keys()) if (key.startsWith(`${flowId}|`)) this.sequencers.delete(key);
    for (const [key, p] of this.pending) {
      if (p.flowId !== flowId) continue;
      this.pending.delete(key);
      p.tx.abort();
      p.span?.failed('connection lost');
      void this.report(p.pool, { ...p.outcome, failure: 'connection-lost' });
    }
  }

  private async report(pool: string, o: NotifyOutcome): Promise<void> {
    try {
      await this.o.bus.publish(notifyOutcome, pool, o, { msgId: `notify-outcome:${o.ref}` });
    } catch (e) {
      this.o.logger.error({ err: e, ref: o.ref }, 'could not publish a NOTIFY outcome');
    }
  }
}
