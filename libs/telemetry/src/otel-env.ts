import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
} from '@opentelemetry/sdk-trace-base';
import { ConfigError } from './errors.js';

/**
 * The standard OpenTelemetry environment variables this server honours (OpenTelemetry
 * specification, "Environment Variable Specification" and "OTLP Exporter Configuration"), read
 * from the environment the process was given rather than from `process.env` directly, so that a
 * process started in a test with its own environment behaves as one started from a shell.
 */
export interface OtelSettings {
  /** `service.name`: OTEL_SERVICE_NAME, else `service.name` in OTEL_RESOURCE_ATTRIBUTES, else the process's own name. */
  readonly serviceName: string;
  /** Every resource attribute (OTEL_RESOURCE_ATTRIBUTES plus `service.name`/`service.instance.id`). */
  readonly resource: Readonly<Record<string, string>>;
  /** Where spans go (OTLP/HTTP JSON); undefined: no traces are recorded at all. */
  readonly tracesUrl?: string;
  /** Where metrics go besides /metrics (OTLP/HTTP JSON); undefined: Prometheus only. */
  readonly metricsUrl?: string;
  /** How often metrics are pushed over OTLP (OTEL_METRIC_EXPORT_INTERVAL, default 60 s). */
  readonly metricsIntervalMs: number;
  readonly sampler: Sampler;
}

type Env = Readonly<Record<string, string | undefined>>;

const set = (e: Env, k: string): string | undefined => {
  const v = e[k]?.trim();
  return v === undefined || v === '' ? undefined : v;
};

function httpUrl(variable: string, value: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new ConfigError(variable, `Invalid environment variable ${variable}=${JSON.stringify(value)}: expected an http(s) URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new ConfigError(variable, `Invalid environment variable ${variable}=${JSON.stringify(value)}: expected an http(s) URL`);
  }
  return value;
}

/**
 * OTEL_RESOURCE_ATTRIBUTES: `key=value` pairs separated by commas, values percent-encoded (W3C
 * Baggage octet rules, as the specification says). A malformed list stops start-up: silently
 * dropping an operator's `deployment.environment` would file every span under the wrong place.
 */
export function parseResourceAttributes(value: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (value === undefined || value.trim() === '') return out;
  for (const pair of value.split(',')) {
    if (pair.trim() === '') continue;
    const eq = pair.indexOf('=');
    const key = eq > 0 ? pair.slice(0, eq).trim() : '';
    if (key === '' || !/^[\x21-\x7e]+$/.test(key)) {
      throw new ConfigError('OTEL_RESOURCE_ATTRIBUTES', `Invalid environment variable OTEL_RESOURCE_ATTRIBUTES: expected key=value pairs separated by commas, found ${JSON.stringify(pair.slice(0, 60))}`);
    }
    try {
      out[key] = decodeURIComponent(pair.slice(eq + 1).trim());
    } catch {
      throw new ConfigError('OTEL_RESOURCE_ATTRIBUTES', `Invalid environment variable OTEL_RESOURCE_ATTRIBUTES: bad percent-encoding in the value of ${key}`);
    }
  }
  return out;
}

/** OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG, with the specification's default `parentbased_always_on`. */
export function samplerOf(name: string | undefined, arg: string | undefined): Sampler {
  const ratio = (): number => {
    if (arg === undefined) return 1;
    const r = Number(arg);
    if (!Number.isFinite(r) || r < 0 || r > 1) {
      throw new ConfigError('OTEL_TRACES_SAMPLER_ARG', `Invalid environment variable OTEL_TRACES_SAMPLER_ARG=${JSON.stringify(arg)}: expected a ratio between 0 and 1`);
    }
    return r;
  };
  switch (name ?? 'parentbased_always_on') {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio());
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio()) });
    default:
      throw new ConfigError(
        'OTEL_TRACES_SAMPLER',
        `Invalid environment variable OTEL_TRACES_SAMPLER=${JSON.stringify(name)}: expected always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off or parentbased_traceidratio`,
      );
  }
}

/** The standard OpenTelemetry variables this server reads (README "Operations"). */
export const OTEL_VARIABLES = [
  'OTEL_SERVICE_NAME',
  'OTEL_RESOURCE_ATTRIBUTES',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT',
  'OTEL_TRACES_EXPORTER',
  'OTEL_METRICS_EXPORTER',
  'OTEL_TRACES_SAMPLER',
  'OTEL_TRACES_SAMPLER_ARG',
  'OTEL_METRIC_EXPORT_INTERVAL',
] as const;

/**
 * An OTLP signal's URL: the signal-specific variable is used as given; the general endpoint gets
 * the signal's path appended (`/v1/traces`, `/v1/metrics`), as the OTLP exporter specification
 * says. `OTEL_<SIGNAL>_EXPORTER=none` turns the signal's export off.
 */
function signalUrl(e: Env, signal: 'traces' | 'metrics'): string | undefined {
  const upper = signal.toUpperCase();
  if (set(e, `OTEL_${upper}_EXPORTER`) === 'none') return undefined;
  const own = set(e, `OTEL_EXPORTER_OTLP_${upper}_ENDPOINT`);
  if (own !== undefined) return httpUrl(`OTEL_EXPORTER_OTLP_${upper}_ENDPOINT`, own);
  const base = set(e, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  if (base === undefined) return undefined;
  return `${httpUrl('OTEL_EXPORTER_OTLP_ENDPOINT', base).replace(/\/$/, '')}/v1/${signal}`;
}

/** Reads the OTel settings of a process named `processName` (instance `instanceId`) from `e`. */
export function readOtelEnv(e: Env, processName: string, instanceId: string): OtelSettings {
  const attributes = parseResourceAttributes(e.OTEL_RESOURCE_ATTRIBUTES);
  const serviceName = set(e, 'OTEL_SERVICE_NAME') ?? attributes['service.name'] ?? processName;
  const interval = set(e, 'OTEL_METRIC_EXPORT_INTERVAL');
  const metricsIntervalMs = interval === undefined ? 60_000 : Number(interval);
  if (!Number.isInteger(metricsIntervalMs) || metricsIntervalMs < 100) {
    throw new ConfigError('OTEL_METRIC_EXPORT_INTERVAL', `Invalid environment variable OTEL_METRIC_EXPORT_INTERVAL=${JSON.stringify(interval)}: expected milliseconds, at least 100`);
  }
  const tracesUrl = signalUrl(e, 'traces');
  const metricsUrl = signalUrl(e, 'metrics');
  return {
    serviceName,
    resource: { 'service.instance.id': instanceId, ...attributes, 'service.name': serviceName },
    ...(tracesUrl !== undefined ? { tracesUrl } : {}),
    ...(metricsUrl !== undefined ? { metricsUrl } : {}),
    metricsIntervalMs,
    sampler: samplerOf(set(e, 'OTEL_TRACES_SAMPLER'), set(e, 'OTEL_TRACES_SAMPLER_ARG')),
  };
}
