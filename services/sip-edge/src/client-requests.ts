import {
  BRANCH_MAGIC_COOKIE,
  branchOf,
  cseqOf,
  getHeader,
  NonInviteClientTransaction,
  parseVia,
  randomToken,
  realTimers,
  serialize,
  type SipHeader,
  type SipResponse,
  type Timers,
} from '@presence/sip';
import type { Flow } from './flows.js';

interface Pending {
  tx: NonInviteClientTransaction;
  flowId: string;
  done(r: SipResponse | undefined): void;
}

/** A request the edge sends on a connection: the edge adds Via and Content-Length. */
export interface OutgoingRequest {
  method: string;
  uri: string;
  headers: readonly SipHeader[];
  body: Buffer;
}

/**
 * Requests the edge itself sends on a connection and waits for (a relayed MESSAGE, a request sent
 * to or relayed from a federation partner), each in a non-INVITE client transaction (RFC 3261
 * §17.1.2) with a deadline of its own: the final response, or undefined when none came in time or
 * the connection closed. Responses are matched by branch and CSeq method (§17.1.3).
 */
export class ClientRequests {
  private readonly pending = new Map<string, Pending>();
  private readonly timers: Timers;

  constructor(
    private readonly o: {
      /** Most requests waiting at once; more are not sent (undefined at once). */
      max: number;
      /** How long an answer may take. */
      timeoutMs: number;
      timers?: Timers;
    },
  ) {
    this.timers = o.timers ?? realTimers;
  }

  send(flow: Flow, req: OutgoingRequest): Promise<SipResponse | undefined> {
    if (this.pending.size >= this.o.max) return Promise.resolve(undefined);
    const branch = `${BRANCH_MAGIC_COOKIE}${randomToken(10)}`;
    const host = flow.local.address.includes(':') ? `[${flow.local.address}]` : flow.local.address;
    const bytes = serialize({
      type: 'request',
      method: req.method,
      uri: req.uri,
      headers: [{ name: 'Via', value: `SIP/2.0/${flow.transport.toUpperCase()} ${host}:${flow.local.port};branch=${branch}` }, ...req.headers],
      body: req.body,
    });
    return new Promise((resolve) => {
      const key = `${branch}|${req.method}`;
      let settled = false;
      const done = (r: SipResponse | undefined) => {
        if (settled) return;
        settled = true;
        this.timers.clear(timer);
        resolve(r);
      };
      const timer = this.timers.set(() => {
        this.pending.get(key)?.tx.abort();
        done(undefined);
      }, this.o.timeoutMs);
      const tx = new NonInviteClientTransaction(key, bytes, flow, { onFinal: (r) => done(r), onTimeout: () => done(undefined) }, () => this.pending.delete(key), this.timers);
      this.pending.set(key, { tx, flowId: flow.id, done });
      tx.start();
    });
  }

  /** A response from a connection; true when it answered one of these requests. */
  receiveResponse(res: SipResponse): boolean {
    if (this.pending.size === 0) return false; // the usual case: every NOTIFY's 200 passes here first
    const via = parseVia(getHeader(res, 'Via') ?? '');
    if (!via.ok) return false;
    const p = this.pending.get(`${branchOf(via.value)}|${cseqOf(res).method}`);
    p?.tx.receiveResponse(res);
    return p !== undefined;
  }

  /** The connection closed: what waits on it gets no answer. */
  flowClosed(flowId: string): void {
    for (const [key, p] of this.pending) {
      if (p.flowId !== flowId) continue;
      this.pending.delete(key);
      p.tx.abort();
      p.done(undefined);
    }
  }
}
