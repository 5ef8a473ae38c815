export { ConfigError } from './errors.js';
export { env, loadConfig, type ConfigOf, type EnvSpec, type EnvVar } from './config.js';
export { createLogger, type Logger, type LoggerOptions } from './logger.js';
export { startTelemetry, type Telemetry, type TelemetryOptions } from './tracing.js';
export { createAdminServer, type AdminServer, type AdminServerOptions, type ReadinessCheck } from './admin-server.js';
export { LATENCY_BUCKETS_S, MAX_TALLY_SERIES, meterOf, startRuntimeMetrics, TallyCounter, type Counter, type Histogram, type Meter, type ObservableGauge, type RuntimeMetrics, type UpDownCounter } from './metrics.js';
export { OTEL_VARIABLES, readOtelEnv, parseResourceAttributes, samplerOf, type OtelSettings } from './otel-env.js';
export { setSpanUser, startSipClientSpan, startSipServerSpan, tracingEnabled, type SipClientSpan, type SipServerSpan, type SipSpanFacts } from './sip-spans.js';
export { traceRedis } from './redis-spans.js';
