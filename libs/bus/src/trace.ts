import {
  context,
  metrics,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Histogram,
  type Span,
} from '@opentelemetry/api';
import { TallyCounter, tracingEnabled } from '@presence/telemetry';

/** Message headers as both buses carry them (NATS MsgHdrs is adapted to this). */
export interface HeaderCarrier {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
  keys(): string[];
  /**
   * `messaging.system` of the bus the headers travel on (`nats`); unset for the in-process bus,
   * which is no messaging system (OTel semantic conventions: the attribute names the broker).
   */
  readonly system?: string;
}

/**
 * Readiness pings (`<service>.ping`, sent by every /readyz probe) are liveness checks, not work:
 * they get no spans and no bus metrics, or a probe every few seconds would fill the traces and the
 * `bus_requests_total` series with probe traffic (issue 16 item 3). Both sides skip them, so the
 * serving side does not start a root span of its own for the untraced request.
 */
export function isProbe(name: string): boolean {
  return name.endsWith('.ping');
}

function messagingAttributes(carrier: HeaderCarrier | undefined, subject: string): Attributes {
  return carrier?.system !== undefined
    ? { 'messaging.system': carrier.system, 'messaging.destination.name': subject }
    : { 'messaging.destination.name': subject };
}

const tracer = () => trace.getTracer('@presence/bus');

/** A `Map`-backed carrier, for the in-process bus. */
export function mapCarrier(m: Map<string, string> = new Map()): HeaderCarrier & { map: Map<string, string> } {
  return {
    map: m,
    get: (k) => m.get(k.toLowerCase()),
    set: (k, v) => void m.set(k.toLowerCase(), v),
    keys: () => [...m.keys()],
  };
}

/**
 * Runs `fn` in a PRODUCER/CLIENT span whose context is injected (W3C `traceparent`/`tracestate`)
 * into `carrier`, so the receiving side continues the same trace. No NATS instrumentation is
 * published for OpenTelemetry, so propagation is done here by hand.
 */
export async function sendSpan<T>(
  name: string,
  kind: SpanKind.PRODUCER | SpanKind.CLIENT,
  subject: string,
  carrier: HeaderCarrier,
  fn: () => Promise<T>,
): Promise<T> {
  if (!tracingEnabled() || isProbe(name)) return fn();
  return tracer().startActiveSpan(
    name,
    { kind, attributes: messagingAttributes(carrier, subject) },
    async (span) => {
      propagation.inject(context.active(), carrier, { set: (c, k, v) => c.set(k, v) });
      return inSpan(span, fn);
    },
  );
}

/** Runs `fn`, recording a failure on `span`, and ends the span either way. */
async function inSpan<T>(span: Span, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    span.recordException(e as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error).message });
    throw e;
  } finally {
    span.end();
  }
}

/** Runs `fn` in a SERVER/CONSUMER span that continues the trace found in `carrier`. */
export async function receiveSpan<T>(
  name: string,
  kind: SpanKind.SERVER | SpanKind.CONSUMER,
  subject: string,
  carrier: HeaderCarrier | undefined,
  fn: () => Promise<T>,
  attributes: Attributes = {},
): Promise<T> {
  if (!tracingEnabled() || isProbe(name)) return fn();
  const parent = carrier
    ? propagation.extract(ROOT_CONTEXT, carrier, { get: (c, k) => c.get(k), keys: (c) => c.keys() })
    : ROOT_CONTEXT;
  return tracer().startActiveSpan(
    name,
    { kind, attributes: { ...messagingAttributes(carrier, subject), ...attributes } },
    parent,
    (span) => inSpan(span, fn),
  );
}

/**
 * Bus metrics. Instruments are created per bus instance, after the process registered its meter
 * provider (the OTel metrics API hands out no-op meters before that, and does not rebind them).
 */
export class BusMetrics {
  // Counted per message (several per notification in embedded mode): tallies, not SDK counters (issue 13).
  private readonly requests: TallyCounter;
  private readonly requestDuration: Histogram;
  private readonly published: TallyCounter;
  private readonly handled: TallyCounter;

  constructor() {
    const meter = metrics.getMeter('@presence/bus');
    this.requests = new TallyCounter(meter, 'bus_requests', { description: 'Commands sent over the bus, by outcome' });
    this.requestDuration = meter.createHistogram('bus_request_duration', { description: 'Command round trip', unit: 'ms' });
    this.published = new TallyCounter(meter, 'bus_events_published', { description: 'Events published' });
    this.handled = new TallyCounter(meter, 'bus_events_handled', { description: 'Event deliveries handled, by outcome' });
  }

  /** Runs a command round trip, counting it by outcome (its error code when it fails) and timing it; readiness pings are not counted. */
  async timeRequest<T>(command: string, fn: () => Promise<T>): Promise<T> {
    if (isProbe(command)) return fn();
    const started = performance.now();
    const record = (outcome: string) => {
      this.requests.add(`${command}|${outcome}`, () => ({ command, outcome }));
      this.requestDuration.record(performance.now() - started, { command });
    };
    try {
      const value = await fn();
      record('ok');
      return value;
    } catch (e) {
      record((e as { code?: string }).code ?? 'error');
      throw e;
    }
  }

  publish(event: string): void {
    this.published.add(event, () => ({ event }));
  }

  handle(event: string, consumer: string, outcome: 'ack' | 'retry'): void {
    this.handled.add(`${event}|${consumer}|${outcome}`, () => ({ event, consumer, outcome }));
  }
}

export { SpanKind };
