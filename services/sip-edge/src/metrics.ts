import { LATENCY_BUCKETS_S, meterOf, TallyCounter, type Counter, type Histogram, type UpDownCounter } from '@presence/telemetry';
import type { Flow } from './flows.js';

/** Methods that get their own label value; anything else a client sends counts as `other` (labels stay bounded). */
const METHODS = new Set(['REGISTER', 'OPTIONS', 'SUBSCRIBE', 'SERVICE', 'PUBLISH', 'ACK', 'CANCEL', 'INVITE', 'MESSAGE', 'REFER', 'INFO', 'UPDATE', 'PRACK', 'NOTIFY', 'BENOTIFY', 'BYE']);

export const methodLabel = (method: string): string => (METHODS.has(method) ? method : 'other');

/** Event packages that get their own `kind` label value ([MS-PRES] §3.3, RFC 3857); others count as `other`. */
const KINDS = new Set(['presence', 'presence.winfo', 'vnd-microsoft-roaming-self', 'vnd-microsoft-roaming-contacts', 'vnd-microsoft-provisioning-v2']);
/** Most dialogs one edge tracks for the gauge (a bounded table); past it new dialogs are not counted. */
export const MAX_TRACKED_DIALOGS = 200_000;

/**
 * The subscription dialogs of the clients connected to this edge, by kind (event package): what
 * Kamailio's dialog statistics give an operator. The edge sees each dialog's 2xx (with the
 * lifetime granted in Expires, RFC 6665 §4.1.2.1), its end by unSUBSCRIBE (Expires: 0), by a
 * terminating NOTIFY (`Subscription-State: terminated`, §4.1.3), by a client's 481, or by its
 * connection closing; a dialog not refreshed in time is dropped at its expiry. The sum over edges
 * is the deployment's count.
 */
export class ActiveDialogs {
  private readonly byFlow = new Map<string, Map<string, { kind: string; expiresAt: number }>>();
  private tracked = 0;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly max = MAX_TRACKED_DIALOGS,
  ) {}

  /** A 2xx to a SUBSCRIBE of `event` on `flowId`/`callId`, granted `expiresS` seconds (0: the dialog ended). */
  subscribed(flowId: string, callId: string, event: string, expiresS: number): void {
    if (expiresS <= 0) return this.ended(flowId, callId);
    let dialogs = this.byFlow.get(flowId);
    if (!dialogs?.has(callId)) {
      if (this.tracked >= this.max) return;
      this.tracked++;
    }
    if (!dialogs) this.byFlow.set(flowId, (dialogs = new Map()));
    dialogs.set(callId, { kind: KINDS.has(event) ? event : 'other', expiresAt: this.now() + expiresS * 1000 });
  }

  ended(flowId: string, callId: string): void {
    const dialogs = this.byFlow.get(flowId);
    if (!dialogs?.delete(callId)) return;
    this.tracked--;
    if (dialogs.size === 0) this.byFlow.delete(flowId);
  }

  flowClosed(flowId: string): void {
    const dialogs = this.byFlow.get(flowId);
    if (!dialogs) return;
    this.tracked -= dialogs.size;
    this.byFlow.delete(flowId);
  }

  /** Live dialogs by kind (every known kind present, 0 when none); expired ones are dropped. */
  count(): Map<string, number> {
    const out = new Map([...KINDS, 'other'].map((k) => [k, 0]));
    const now = this.now();
    for (const [flowId, dialogs] of this.byFlow) {
      for (const [callId, d] of dialogs) {
        if (d.expiresAt <= now) this.ended(flowId, callId);
        else out.set(d.kind, out.get(d.kind)! + 1);
      }
    }
    return out;
  }

  get size(): number {
    return this.tracked;
  }
}

/**
 * The SIP edge's metrics (what Kamailio's tm/usrloc statistics and Asterisk's res_prometheus give
 * an operator): requests by method, status and pool, their latency, registrations, notifications,
 * authentication failures and open connections by transport. Prometheus names, from the exporter:
 * `sip_server_requests_total`, `sip_server_request_duration_seconds`, `sip_server_connections`,
 * `sip_server_auth_failures_total`, `presence_registrations_total`, `presence_registrations_active`,
 * `presence_notifications_total`, `presence_notification_responses_total`, `presence_dialogs_active`.
 */
export class EdgeMetrics {
  // Added to per request, per NOTIFY and per client response: tallies, not SDK counters (issue 13).
  private readonly requests: TallyCounter;
  private readonly duration: Histogram;
  private readonly authFailures: Counter;
  private readonly registrations: Counter;
  private readonly notifications: TallyCounter;
  private readonly clientResponses: TallyCounter;
  private readonly active: UpDownCounter;

  constructor(
    flows: ReadonlyMap<string, Flow>,
    readonly dialogs: ActiveDialogs = new ActiveDialogs(),
  ) {
    const meter = meterOf('@presence/sip-edge');
    this.requests = new TallyCounter(meter, 'sip.server.requests', { unit: '{request}', description: 'SIP requests answered, by method, final status, transport and the pool that served them (none: the edge itself).' });
    this.duration = meter.createHistogram('sip.server.request.duration.seconds', {
      unit: 's',
      description: 'Time from a SIP request received to its final response sent.',
      advice: { explicitBucketBoundaries: LATENCY_BUCKETS_S },
    });
    this.authFailures = meter.createCounter('sip.server.auth.failures', { unit: '{request}', description: 'Requests with credentials that were refused (bad password, unknown user, stale or replayed nonce, throttled), by status.' });
    this.registrations = meter.createCounter('presence.registrations', { unit: '{registration}', description: 'Successful REGISTERs, by action (register, unregister).' });
    this.notifications = new TallyCounter(meter, 'presence.notifications', { unit: '{notification}', description: 'NOTIFY/BENOTIFY handed to a client connection, by method and result (sent, failed: the connection was gone or the CSeq stale).' });
    this.clientResponses = new TallyCounter(meter, 'presence.notification.responses', { unit: '{response}', description: 'Responses clients sent to NOTIFYs (and other requests of the server), by method and status.' });
    const connections = meter.createObservableGauge('sip.server.connections', { unit: '{connection}', description: 'Open TCP/TLS client connections, by transport.' });
    // Each binding is added by the edge that registered it and removed by whichever edge ends it
    // (expiry sweeps run on every edge): the sum over edges is the deployment's count.
    this.active = meter.createUpDownCounter('presence.registrations.active', { unit: '{registration}', description: 'Registered endpoints (bindings) now; sum over edges.' });
    const active = meter.createObservableGauge('presence.dialogs.active', { unit: '{dialog}', description: 'Subscription dialogs of the clients connected to this edge, by kind (event package); sum over edges.' });
    active.addCallback((r) => {
      for (const [kind, n] of this.dialogs.count()) r.observe(n, { kind });
    });
    connections.addCallback((r) => {
      const byTransport = { tcp: 0, tls: 0 };
      for (const f of flows.values()) if (f.reliable && (f.transport === 'tcp' || f.transport === 'tls')) byTransport[f.transport]++;
      for (const [transport, n] of Object.entries(byTransport)) r.observe(n, { transport });
    });
  }

  /** One final response to a request. `pool` is the pool whose service answered, undefined when the edge did. */
  answered(method: string, status: number, transport: string, startedAt: bigint, pool: string | undefined): void {
    const attrs = { method: methodLabel(method), transport, pool: pool ?? 'none' };
    this.requests.add(`${attrs.method}|${transport}|${attrs.pool}|${status}`, () => ({ ...attrs, status_code: String(status) }));
    this.duration.record(Number(process.hrtime.bigint() - startedAt) / 1e9, attrs);
  }

  bindings(delta: number): void {
    this.active.add(delta);
  }

  registered(action: 'register' | 'unregister'): void {
    this.registrations.add(1, { action });
  }

  authFailed(status: number): void {
    this.authFailures.add(1, { status_code: String(status) });
  }

  /** A client's response to a request the server sent (a NOTIFY). */
  clientAnswered(method: string, status: number): void {
    const m = methodLabel(method);
    this.clientResponses.add(`${m}|${status}`, () => ({ method: m, status_code: String(status) }));
  }

  notified(method: string, sent: boolean): void {
    const m = methodLabel(method);
    const result = sent ? 'sent' : 'failed';
    this.notifications.add(`${m}|${result}`, () => ({ method: m, result }));
  }
}
