import type { EdgeDeliverMessage, EdgeDeliverMessageReply } from '@presence/bus';
import { parseUri, randomToken, type SipResponse, type Timers } from '@presence/sip';
import { getRecord, registrations, type Store } from '@presence/state';
import type { Logger } from '@presence/telemetry';
import { ClientRequests } from './client-requests.js';
import type { Flow } from './flows.js';
import { MESSAGE_DELIVERY_TIMEOUT_MS } from './message.js';

/** Most relayed MESSAGEs waiting for their answer on this edge; more are not delivered (bounded table). */
const MAX_PENDING = 10_000;
/** Text that goes into a header line: no control characters (CR/LF would inject headers). */
// eslint-disable-next-line no-control-regex
const HEADER_SAFE = /^[^\x00-\x1f\x7f]{1,200}$/;

export interface MessageDeliveryOptions {
  store: Store;
  homePool(aor: string): Promise<string>;
  flows: Map<string, Flow>;
  logger: Logger;
  timers?: Timers;
  timeoutMs?: number;
}

/**
 * The edge's half of page-mode MESSAGE (RFC 3428): sends a MESSAGE to one registered endpoint on the
 * connection this edge holds for it, in its own client transaction (RFC 3261 §17.1.2), and reports
 * whether the endpoint took it (a 2xx). No answer within {@link MESSAGE_DELIVERY_TIMEOUT_MS}, a
 * refusal, or a connection that closed: not delivered.
 */
export class MessageDelivery {
  private readonly requests: ClientRequests;

  constructor(private readonly o: MessageDeliveryOptions) {
    this.requests = new ClientRequests({ max: MAX_PENDING, timeoutMs: o.timeoutMs ?? MESSAGE_DELIVERY_TIMEOUT_MS, ...(o.timers ? { timers: o.timers } : {}) });
  }

  async deliver(m: EdgeDeliverMessage): Promise<EdgeDeliverMessageReply> {
    // The payload crossed the bus: every field that reaches a header line is checked first.
    const fields = [m.from, m.to, m.contentType, m.connectionId, m.epid];
    if (fields.some((f) => typeof f !== 'string' || !HEADER_SAFE.test(f)) || typeof m.body !== 'string') return { delivered: false };
    if (m.callId !== undefined && (typeof m.callId !== 'string' || !/^[!-~]{1,200}$/.test(m.callId))) return { delivered: false };
    const from = parseUri(m.from);
    const to = parseUri(m.to);
    if (!from.ok || !to.ok) return { delivered: false };
    const flow = this.o.flows.get(m.connectionId);
    if (!flow) return { delivered: false };
    // RFC 3261 §10.2.1.1 / §16.5: a request for a registered endpoint goes to its registered Contact.
    const rec = await getRecord(this.o.store, { pool: await this.o.homePool(m.to), user: m.to }, registrations, m.epid);
    if (!rec || rec.value.connectionId !== m.connectionId) return { delivered: false };
    if (!this.o.flows.has(m.connectionId)) return { delivered: false };

    const res = await this.requests.send(flow, {
      method: 'MESSAGE',
      uri: rec.value.contact,
      headers: [
        { name: 'Max-Forwards', value: '70' },
        { name: 'From', value: `<${m.from}>;tag=${randomToken(5)}` },
        { name: 'To', value: `<${m.to}>` },
        // One endpoint's copy per Call-ID: two endpoints on one client must not see one request twice.
        { name: 'Call-ID', value: m.callId !== undefined ? `${m.callId}-${randomToken(3)}` : randomToken(16) },
        { name: 'CSeq', value: '1 MESSAGE' },
        { name: 'Content-Type', value: m.contentType },
      ],
      body: Buffer.from(m.body, 'utf8'),
    });
    return res ? { delivered: res.status >= 200 && res.status < 300, status: res.status } : { delivered: false };
  }

  /** A response from a client; true when it answered one of our MESSAGEs. */
  receiveResponse(res: SipResponse): boolean {
    return this.requests.receiveResponse(res);
  }

  /** The connection closed: MESSAGEs waiting on it are not delivered. */
  flowClosed(flowId: string): void {
    this.requests.flowClosed(flowId);
  }
}
