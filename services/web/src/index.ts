import { GatewayRequests, serveGatewayEdge } from '@presence/gateway';
import { loadProcessConfig, servePing, type ServiceDeps, type ServiceModule } from '@presence/runtime';
import { ConfigError } from '@presence/telemetry';
import { WebApi } from './api.js';
import { loadWebConfig } from './config.js';
import { ContactsReader } from './contacts.js';
import { WebEndpoint } from './endpoint.js';
import { LiveStreams } from './live.js';
import { OwnPublisher } from './me.js';
import { FailureCounter, RateLimiter } from './rate-limit.js';
import { registerWebRoutes, type RunningWeb } from './routes.js';
import { Sessions } from './sessions.js';
import { TokenSigner } from './tokens.js';

export { webEnv, loadWebConfig, type WebConfig } from './config.js';
export { passwordMatches } from './api.js';
export { availabilityName, availabilityValue, AVAILABILITY_NAMES } from './availability.js';
export { TokenSigner } from './tokens.js';
export { registerWebRoutes, type RunningWeb } from './routes.js';

/** Embedded mode's secret when WEB_TOKEN_SECRET is unset: fine on a laptop, never in a deployment. */
const DEV_SECRET = 'presence-web-development-secret-not-for-production';
const SWEEP_MS = 1000;

/** The edge id of a web instance: its own, beside a SIP edge of the same process. */
export const webEdgeId = (instanceId: string): string => `web-${instanceId}`.slice(0, 64);

export async function startWeb(deps: ServiceDeps): Promise<RunningWeb> {
  const config = loadWebConfig(deps.env);
  const log = deps.logger;
  let secret = config.WEB_TOKEN_SECRET;
  if (secret === undefined) {
    if (deps.mode === 'clustered') throw new ConfigError('WEB_TOKEN_SECRET', 'Missing environment variable WEB_TOKEN_SECRET: the web instances need one shared secret (at least 32 characters) to sign tokens');
    log.warn('no WEB_TOKEN_SECRET: web tokens are signed with a development secret; set one for real use');
    secret = DEV_SECRET;
  } else if (secret.length < 32) {
    throw new ConfigError('WEB_TOKEN_SECRET', 'Invalid environment variable WEB_TOKEN_SECRET: expected at least 32 characters');
  }
  const edgeId = webEdgeId(deps.instanceId);
  const processConfig = loadProcessConfig(deps.env);
  const endpoint = new WebEndpoint(new GatewayRequests({ bus: deps.bus, pools: deps.pools, edgeId, transport: 'web', userAgent: 'presence-web', requestTimeoutMs: processConfig.BUS_REQUEST_TIMEOUT_MS }));
  // Streams of a session this instance ends close at once (other instances notice within WEB_STREAM_CHECK_MS).
  const onSessionEnded: ((id: string) => void)[] = [];
  const sessions = new Sessions({
    store: deps.store,
    bus: deps.bus,
    pools: deps.pools,
    edgeId,
    ttlS: config.WEB_SESSION_TTL_S,
    endpointTtlS: config.WEB_ENDPOINT_TTL_S,
    maxPerUser: config.WEB_MAX_SESSIONS_PER_USER,
    logger: log,
    onEnded: (id) => onSessionEnded.forEach((f) => f(id)),
  });
  const contacts = new ContactsReader(deps.store, deps.pools);
  const live = new LiveStreams({
    endpoint,
    sessions,
    contacts,
    logger: log,
    maxPerUser: config.WEB_MAX_STREAMS_PER_USER,
    checkMs: config.WEB_STREAM_CHECK_MS,
    keepAliveMs: (config.WEB_ENDPOINT_TTL_S * 1000) / 3,
  });
  onSessionEnded.push((id) => void live.closeSession(id));
  const api = new WebApi({
    directory: deps.directory,
    realm: deps.domains[0]!,
    signer: new TokenSigner(secret),
    sessions,
    endpoint,
    publisher: new OwnPublisher(deps.store, deps.pools, endpoint),
    contacts,
    live,
    limiter: new RateLimiter(config.WEB_USER_REQUESTS_PER_S, config.WEB_USER_BURST),
    signInFailures: new FailureCounter(config.WEB_SIGNIN_MAX_FAILURES, 5 * 60_000),
    accessTtlS: config.WEB_ACCESS_TTL_S,
    sessionTtlS: config.WEB_SESSION_TTL_S,
    logger: log,
  });

  const gatewayEdge = await serveGatewayEdge({
    bus: deps.bus,
    store: deps.store,
    pools: deps.pools,
    edgeId,
    consumer: 'web',
    transport: 'web',
    sharedSessions: true,
    logger: log,
    requestTimeoutMs: processConfig.BUS_REQUEST_TIMEOUT_MS,
    connections: {
      deliver: (req) => live.deliverNotification(req),
      // A web endpoint that only lapsed comes back at the stream's next keep-alive. One the registrar
      // replaced (REGISTER_MAX_ENDPOINTS) signs its session out, as the web's own limit does; one it
      // signed out (the user left the directory) ends the session's streams, and the API answers 403.
      endEndpoint: async (e) => {
        if (e.reason !== 'replaced' && e.reason !== 'signed-out') return false;
        const cur = await sessions.get(e.user, e.connectionId);
        if (!cur || cur.session.epid !== e.epid) return false;
        if (e.reason === 'replaced') await sessions.end(e.user, e.connectionId, 'replaced');
        else if (await sessions.markSignedOut(e.user, e.connectionId)) await live.closeSession(e.connectionId);
        return true;
      },
    },
  });
  const pools = deps.pools.all.map((p) => p.id);
  const sweeper = setInterval(() => {
    sessions.sweep(pools).catch((e: unknown) => log.warn({ err: e }, 'web session sweep failed'));
  }, SWEEP_MS);
  sweeper.unref();
  // Last: /readyz asks this, so ready means every handler is in place.
  const ping = await servePing('web', deps);
  log.info({ edgeId }, 'web service ready');
  return {
    api,
    stop: async () => {
      clearInterval(sweeper);
      await live.closeAll();
      await gatewayEdge.stop();
      await ping.stop();
    },
  };
}

/**
 * The web service: REST API (/api/v1, OpenAPI), a live stream (SSE) and the presence page, on the
 * process's HTTP port. Started once per process; each signed-in browser is an endpoint.
 */
export const web: ServiceModule = {
  name: 'web',
  once: true,
  start: startWeb,
  http: (app, running) => registerWebRoutes(app, () => running() as RunningWeb | undefined),
};
