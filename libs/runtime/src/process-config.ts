import { hostname } from 'node:os';
import { ConfigError, env, loadConfig, type ConfigOf } from '@presence/telemetry';

const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;
const TOKEN_TEXT = '1-64 characters of A-Z a-z 0-9 _ -';
const HOST_PORT = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):\d{1,5}$/;

/**
 * Every environment variable a process reads, with its default and documentation. README's
 * configuration table lists exactly these (a test keeps the two in step).
 */
export const processEnv = {
  HTTP_PORT: env.port({ default: 8080, doc: 'Port of the HTTP server with /healthz, /readyz and /metrics.' }),
  HTTP_HOST: env.string({ default: '0.0.0.0', doc: 'Address the HTTP server listens on.' }),
  ADMIN_TOKEN: env.optionalString({ doc: 'Bearer token the /admin routes require. Unset (and no ADMIN_TOKEN_FILE): the admin routes are disabled.' }),
  ADMIN_TOKEN_FILE: env.optionalString({ doc: 'File holding the admin bearer token (a mounted secret); used when ADMIN_TOKEN is unset.' }),
  ADMIN_HTTP_PORT: env.optionalString({ doc: 'Port of a separate HTTP listener for the /admin routes. Unset: they are served on HTTP_PORT.' }),
  ADMIN_HTTP_HOST: env.string({ default: '127.0.0.1', doc: 'Address the separate admin listener binds to.' }),
  LOG_LEVEL: env.oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info', doc: 'pino log level.' }),
  LOG_LEVEL_FILE: env.optionalString({ doc: 'File holding the log level (one word, e.g. a mounted ConfigMap key); read at start (over LOG_LEVEL) and again on SIGHUP.' }),
  DEPENDENCY_LOG_MS: env.int({ default: 5000, min: 100, max: 600_000, doc: 'While NATS or Redis cannot be reached at start, a warning naming it is logged this often.' }),
  POOL_ID: env.string({ default: 'pool1', pattern: TOKEN, patternText: TOKEN_TEXT, doc: 'The pool (shard) this process serves; in clustered mode one of PRESENCE_POOLS when that is set.' }),
  PRESENCE_POOLS: env.list({
    default: [],
    item: /^[A-Za-z0-9_-]{1,64}(=[A-Za-z0-9.-]+)?$/,
    itemText: 'pool ids, each optionally =fqdn',
    doc: 'Every pool of the deployment as id or id=fqdn (FQDN default: <id>.<first domain>). Unset: POOL_ID alone. Embedded mode runs them all.',
  }),
  PRESENCE_DOMAINS: env.list({
    default: ['contoso.com'],
    item: /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/,
    itemText: 'domain names',
    doc: 'SIP domains this server serves, comma separated; the first is the digest realm and the pools’ domain.',
  }),
  INSTANCE_ID: env.optionalString({ doc: 'This instance’s id (NATS connection name, edge address). Default: host name and pid.' }),
  NATS_URL: env.url({ default: 'nats://127.0.0.1:4222', protocols: ['nats', 'tls'], doc: 'NATS server(s), comma separated (clustered mode).' }),
  REDIS_URL: env.url({ default: 'redis://127.0.0.1:6379', protocols: ['redis', 'rediss'], doc: 'Redis server (clustered mode).' }),
  REDIS_CLUSTER_NODES: env.list({ default: [], item: HOST_PORT, itemText: 'host:port', doc: 'Seed nodes of a Redis Cluster, comma separated host:port; set, it is used instead of REDIS_URL.' }),
  REDIS_SENTINELS: env.list({ default: [], item: HOST_PORT, itemText: 'host:port', doc: 'Redis Sentinels, comma separated host:port; set (with REDIS_SENTINEL_MASTER), they are used instead of REDIS_URL.' }),
  REDIS_SENTINEL_MASTER: env.optionalString({ doc: 'Name of the master the Sentinels watch.' }),
  REDIS_WAIT_REPLICAS: env.int({ default: 0, min: 0, max: 5, doc: 'After each acknowledged write, WAIT until this many Redis replicas have it (0: do not wait).' }),
  REDIS_WAIT_TIMEOUT_MS: env.int({ default: 500, min: 1, max: 60_000, doc: 'Longest WAIT for REDIS_WAIT_REPLICAS; past it the request fails (503) and the client retries.' }),
  BUS_REQUEST_TIMEOUT_MS: env.int({ default: 5000, min: 100, max: 120_000, doc: 'How long a command over the bus waits for its reply.' }),
  EVENT_ACK_WAIT_MS: env.int({ default: 30_000, min: 1000, max: 3_600_000, doc: 'An event not acknowledged in this time goes to another instance.' }),
  JETSTREAM_REPLICAS: env.optionalString({ doc: 'Replicas of each pool’s JetStream event stream (1-5). Unset: min(3, servers of the NATS cluster), 1 for a single server.' }),
  STORE_CHECK_MS: env.int({ default: 5000, min: 100, max: 600_000, doc: 'How often a clustered process checks that the store still holds its data (an epoch record); after a loss each edge closes every client connection so clients re-register.' }),
  SERVICE_MAX_CONCURRENT_REQUESTS: env.int({ default: 64, min: 1, max: 100_000, doc: 'SIP requests one service handles at once per pool; more wait in a queue.' }),
  SERVICE_MAX_QUEUED_REQUESTS: env.int({ default: 256, min: 0, max: 1_000_000, doc: 'SIP requests that may wait for a service; beyond, the edge answers 503 with Retry-After at once.' }),
  IDLE_HEAP_TRIM_MB: env.int({ default: 32, min: 0, max: 65_536, doc: 'When the process is idle and its V8 heap has grown by this much since the last such collection (a burst leaves garbage behind), run one compacting full collection that returns the emptied memory to the system (0: never).' }),
  SHUTDOWN_TIMEOUT_MS: env.int({ default: 4000, min: 100, max: 600_000, doc: 'Longest graceful shutdown before the process exits anyway.' }),
  OTEL_EXPORTER_OTLP_ENDPOINT: env.optionalString({ doc: 'OTLP/HTTP collector for traces and metrics, e.g. http://collector:4318. Unset: no traces, metrics on /metrics only (other OTEL_* variables: libs/telemetry otel-env.ts).' }),
};

export type ProcessConfig = ConfigOf<typeof processEnv> & { readonly instanceId: string };

function defaultInstanceId(): string {
  return `${hostname()}-${process.pid}`.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 64);
}

/**
 * A clustered process serves POOL_ID: it must be one of the deployment's pools, or its services
 * would take requests for a pool no edge routes to, and the pool's users none ([DESIGN] Pools).
 */
export function checkPoolId(config: ProcessConfig): void {
  const ids = config.PRESENCE_POOLS.map((p) => p.split('=')[0]!);
  if (ids.length > 0 && !ids.includes(config.POOL_ID)) {
    throw new ConfigError('POOL_ID', `Invalid environment variable POOL_ID=${JSON.stringify(config.POOL_ID)}: expected one of PRESENCE_POOLS (${ids.join(', ')})`);
  }
}

/** Reads and validates the environment; throws a ConfigError naming the first bad variable. */
export function loadProcessConfig(source: NodeJS.ProcessEnv = process.env): ProcessConfig {
  const c = loadConfig(processEnv, source);
  const instanceId = c.INSTANCE_ID ?? defaultInstanceId();
  if (!TOKEN.test(instanceId)) {
    // Reuse the builder so the message has the same shape as every other config error.
    env.string({ pattern: TOKEN, patternText: TOKEN_TEXT, doc: '' }).parse(instanceId, 'INSTANCE_ID');
  }
  if (c.JETSTREAM_REPLICAS !== undefined) env.int({ min: 1, max: 5, doc: '' }).parse(c.JETSTREAM_REPLICAS, 'JETSTREAM_REPLICAS');
  if (c.REDIS_SENTINELS.length > 0 && c.REDIS_SENTINEL_MASTER === undefined) {
    throw new ConfigError('REDIS_SENTINEL_MASTER', 'Invalid environment variable REDIS_SENTINEL_MASTER: required when REDIS_SENTINELS is set');
  }
  if (c.ADMIN_HTTP_PORT !== undefined) env.port({ doc: '' }).parse(c.ADMIN_HTTP_PORT, 'ADMIN_HTTP_PORT');
  if (c.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined) {
    env.url({ protocols: ['http', 'https'], doc: '' }).parse(c.OTEL_EXPORTER_OTLP_ENDPOINT, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  }
  return Object.freeze({ ...c, instanceId });
}
