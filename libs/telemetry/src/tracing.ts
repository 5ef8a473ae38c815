import { context, metrics, propagation, trace, type Meter, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader, type MetricReader } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { readOtelEnv } from './otel-env.js';

export interface TelemetryOptions {
  serviceName: string;
  serviceInstanceId: string;
  /**
   * The process's environment, for the standard `OTEL_*` variables (see `otel-env.ts`):
   * OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_EXPORTER_OTLP_(TRACES_|METRICS_)ENDPOINT,
   * OTEL_TRACES_SAMPLER(_ARG), OTEL_METRIC_EXPORT_INTERVAL, OTEL_TRACES_EXPORTER/OTEL_METRICS_EXPORTER=none.
   * No OTLP endpoint (and no `spanExporter`): no tracing at all, and metrics on /metrics only.
   */
  env?: Readonly<Record<string, string | undefined>>;
  /** Extra span exporter, used by tests to read spans back. */
  spanExporter?: SpanExporter;
}

/** What a process gets from {@link startTelemetry}: the Prometheus registry for /metrics and a shutdown hook. */
export interface Telemetry {
  readonly prometheus: PrometheusExporter;
  tracer(name: string): Tracer;
  meter(name: string): Meter;
  shutdown(): Promise<void>;
}

let active: Telemetry | undefined;

/**
 * Registers the process-wide OpenTelemetry providers: a meter provider read by Prometheus always,
 * and, when there is somewhere to send spans, W3C trace-context propagation, an async-local context
 * manager (so spans follow awaits) and a tracer provider.
 *
 * Without an exporter nothing is registered for tracing: the OTel API then hands out its no-op
 * tracer, and the bus skips span work entirely (see `@presence/bus` trace.ts), because recording
 * spans nobody reads cost about a tenth of the CPU of a notification (issue 13's profile). Such a
 * process takes no part in traces: it neither starts nor continues one. The OTel API allows one
 * registration per process, so a second call returns the first result (the embedded mode runs
 * every service in one process).
 */
export function startTelemetry(opts: TelemetryOptions): Telemetry {
  if (active) return active;
  const settings = readOtelEnv(opts.env ?? {}, opts.serviceName, opts.serviceInstanceId);
  const resource = resourceFromAttributes(settings.resource);

  const spanProcessors: SpanProcessor[] = [];
  // OTLP/HTTP with JSON bodies (the exporter's default): any collector takes it, and it can be read without protobuf.
  if (settings.tracesUrl) spanProcessors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url: settings.tracesUrl })));
  if (opts.spanExporter) spanProcessors.push(new BatchSpanProcessor(opts.spanExporter, { scheduledDelayMillis: 10 }));
  const tracerProvider = spanProcessors.length > 0 ? new BasicTracerProvider({ resource, spanProcessors, sampler: settings.sampler }) : undefined;
  if (tracerProvider) {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(tracerProvider);
  }

  // preventServerStart: /metrics is served by the process's fastify server, not a second HTTP port.
  const prometheus = new PrometheusExporter({ preventServerStart: true });
  const readers: MetricReader[] = [prometheus];
  // Pushed over OTLP as well when a collector is configured (issue 16 item 1), same instruments.
  if (settings.metricsUrl) {
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter({ url: settings.metricsUrl }),
        exportIntervalMillis: settings.metricsIntervalMs,
        exportTimeoutMillis: Math.min(30_000, settings.metricsIntervalMs),
      }),
    );
  }
  const meterProvider = new MeterProvider({ resource, readers });
  metrics.setGlobalMeterProvider(meterProvider);

  const t: Telemetry = {
    prometheus,
    tracer: (name) => trace.getTracer(name),
    meter: (name) => metrics.getMeter(name),
    async shutdown() {
      await Promise.allSettled([tracerProvider?.shutdown(), meterProvider.shutdown()]);
      trace.disable();
      metrics.disable();
      propagation.disable();
      context.disable();
      active = undefined;
    },
  };
  active = t;
  return t;
}
