import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';

const tracer = () => trace.getTracer('@presence/sip-edge');

/**
 * Whether this process records spans: a tracer provider was registered (`startTelemetry` registers
 * one only when spans have somewhere to go). Without one every helper here returns at once and
 * creates nothing, so the hot path of a process with no exporter (the issue 13 benchmark) pays one
 * property access per call. Checked per call, as tests register and unregister providers.
 */
export function tracingEnabled(): boolean {
  const p = trace.getTracerProvider() as { getDelegate?: () => object };
  const delegate = p.getDelegate?.() ?? p;
  return delegate.constructor.name !== 'NoopTracerProvider';
}

/** What a SIP span records about its message (OTel semantic-convention names where they exist). */
export interface SipSpanFacts {
  callId?: string | undefined;
  /** The user (AOR), when known; a function is called only when a span is made (keeps parsing off the untraced path). */
  user?: string | (() => string | undefined) | undefined;
  /** `udp`, `tcp` or `tls` as the edge names its flows. */
  transport: string;
}

function attributesOf(method: string, f: SipSpanFacts): Attributes {
  const a: Attributes = {
    'sip.method': method,
    // network.transport is the OSI layer-4 protocol (semantic conventions): TLS runs over tcp.
    'network.transport': f.transport === 'udp' ? 'udp' : 'tcp',
    'sip.transport': f.transport,
  };
  if (f.callId !== undefined) a['sip.call_id'] = f.callId;
  const user = typeof f.user === 'function' ? f.user() : f.user;
  if (user !== undefined) a['enduser.id'] = user;
  return a;
}

/** Records a final SIP status on `span`: an error for 5xx on a server span, and for 4xx too on a client span (the OTel HTTP convention, applied to SIP). */
function recordStatus(span: Span, status: number, reason: string | undefined, kind: SpanKind): void {
  span.setAttribute('sip.status_code', status);
  if (status >= 500 || (kind === SpanKind.CLIENT && status >= 400)) span.setStatus({ code: SpanStatusCode.ERROR, message: `${status}${reason ? ` ${reason}` : ''}` });
}

/** A SIP server span in progress (see {@link startSipServerSpan}). */
export interface SipServerSpan {
  /** Runs `fn` with this span active: bus spans, Redis spans and log lines inside it belong to it. */
  run<T>(fn: () => T): T;
  /** The user, once authenticated. */
  setUser(user: string): void;
  /** The final response: sets `sip.status_code` and ends the span. */
  answered(status: number, reason?: string): void;
}

/**
 * One SERVER span per SIP request at the edge, the ROOT of its trace: SIP carries no trace context
 * a client could be trusted with, so nothing is extracted from the request (a client's header must
 * not be able to join the server's traces). Undefined when this process records no spans.
 */
export function startSipServerSpan(method: string, facts: SipSpanFacts): SipServerSpan | undefined {
  if (!tracingEnabled()) return undefined;
  const span = tracer().startSpan(`SIP ${method}`, { kind: SpanKind.SERVER, attributes: attributesOf(method, facts) }, ROOT_CONTEXT);
  const ctx = trace.setSpan(ROOT_CONTEXT, span);
  return {
    run: (fn) => context.with(ctx, fn),
    setUser: (user) => void span.setAttribute('enduser.id', user),
    answered(status, reason) {
      recordStatus(span, status, reason, SpanKind.SERVER);
      span.end();
    },
  };
}

/** Sets the user on the SIP server span of the active context, if any (cheap when there is none). */
export function setSpanUser(user: string): void {
  trace.getSpan(context.active())?.setAttribute('enduser.id', user);
}

/** A request the server sends (NOTIFY/BENOTIFY) in progress. */
export interface SipClientSpan {
  /** The client's final response: sets `sip.status_code` and ends the span. */
  answered(status: number, reason?: string): void;
  /** No final response (timeout, connection lost): ends the span as an error. */
  failed(why: string): void;
  /** A request that gets no response (BENOTIFY): ends the span once written. */
  end(): void;
}

/**
 * A CLIENT span for a request the edge sends to a client, child of the active context (the bus
 * span of the send-batch message, which continues the fan-out's trace). Undefined when this
 * process records no spans.
 */
export function startSipClientSpan(method: string, facts: SipSpanFacts): SipClientSpan | undefined {
  if (!tracingEnabled()) return undefined;
  const span = tracer().startSpan(`SIP ${method}`, { kind: SpanKind.CLIENT, attributes: attributesOf(method, facts) });
  return {
    answered(status, reason) {
      recordStatus(span, status, reason, SpanKind.CLIENT);
      span.end();
    },
    failed(why) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: why });
      span.end();
    },
    end: () => span.end(),
  };
}
