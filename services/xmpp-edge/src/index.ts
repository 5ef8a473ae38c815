import { readFileSync } from 'node:fs';
import { GatewayRegistrar, GatewayRequests, serveGatewayEdge } from '@presence/gateway';
import { loadProcessConfig, servePing, type RunningService, type ServiceDeps, type ServiceModule } from '@presence/runtime';
import { FailureThrottle, selfSignedCertificate } from '@presence/sip-edge';
import { ConfigError } from '@presence/telemetry';
import { BoshService, registerBoshRoutes } from './bosh.js';
import { C2sStream } from './c2s-stream.js';
import { loadXmppConfig } from './config.js';
import { SaslCredentials } from './credentials.js';
import { SessionHub } from './hub.js';
import { listenC2s } from './transport/c2s-listener.js';

export { xmppEnv, loadXmppConfig, type XmppConfig } from './config.js';
export { availabilityOfShow, showOfAvailability } from './presence-map.js';

/** A running XMPP edge, with the port it bound (tests start it on port 0). */
export interface RunningXmppEdge extends RunningService {
  readonly xmppPort: number;
  /** The edge id its endpoints are registered with (`sip.edge.<id>.*`). */
  readonly edgeId: string;
  /** The TLS certificate in use (PEM), so clients can trust a generated one. */
  readonly certificate: string;
  /** BOSH sessions (XEP-0124/0206) served on the process's HTTP port at /http-bind. */
  readonly bosh: BoshService;
  /** Refreshes every endpoint's registration and dialogs now (what each session's timer does at half their lifetime). */
  refreshAll(): Promise<{ registered: boolean; contacts?: number; categories?: number }[]>;
}

const REGISTRATION_S = 3600;
const SUBSCRIPTION_S = 3600;
const MAX_SESSIONS_PER_USER = 16;
const MAX_CONNECTIONS_PER_IP = 500;

export async function startXmppEdge(deps: ServiceDeps): Promise<RunningXmppEdge> {
  const config = loadXmppConfig(deps.env);
  const log = deps.logger;
  const processConfig = loadProcessConfig(deps.env);
  // Its own edge id: the SIP edge of the same process answers `sip.edge.<instanceId>.*`.
  const edgeId = `xmpp-${deps.instanceId}`.slice(0, 64);
  let tlsOptions: { cert: string; key: string };
  if (config.SIP_TLS_CERT_FILE && config.SIP_TLS_KEY_FILE) {
    tlsOptions = { cert: readFileSync(config.SIP_TLS_CERT_FILE, 'utf8'), key: readFileSync(config.SIP_TLS_KEY_FILE, 'utf8') };
  } else if (config.SIP_TLS_CERT_FILE || config.SIP_TLS_KEY_FILE) {
    throw new ConfigError('SIP_TLS_CERT_FILE', 'Invalid TLS configuration: set both SIP_TLS_CERT_FILE and SIP_TLS_KEY_FILE, or neither');
  } else {
    tlsOptions = selfSignedCertificate(deps.domains[0]!, ['localhost', '127.0.0.1']);
    if (deps.mode === 'clustered') log.warn('no SIP_TLS_CERT_FILE/SIP_TLS_KEY_FILE: XMPP STARTTLS uses a generated self-signed certificate');
  }

  const hub = new SessionHub(
    {
      bus: deps.bus,
      store: deps.store,
      pools: deps.pools,
      edgeId,
      registrar: new GatewayRegistrar({ store: deps.store, bus: deps.bus, pools: deps.pools, edgeId }),
      requests: new GatewayRequests({ bus: deps.bus, pools: deps.pools, edgeId, transport: 'xmpp', userAgent: 'presence-xmpp', requestTimeoutMs: processConfig.BUS_REQUEST_TIMEOUT_MS }),
      logger: log,
      requestTimeoutMs: processConfig.BUS_REQUEST_TIMEOUT_MS,
      registrationS: REGISTRATION_S,
      subscriptionS: SUBSCRIPTION_S,
    },
    { logger: log, contactContainer: config.XMPP_CONTACT_CONTAINER, domains: deps.domains.map((d) => d.toLowerCase()) },
    log,
    MAX_SESSIONS_PER_USER,
  );
  const credentials = new SaslCredentials(deps.directory, deps.domains[0]!);
  const domains = deps.domains.map((d) => d.toLowerCase());
  const limits = { maxStanzaChars: config.XMPP_MAX_STANZA_BYTES, maxDepth: 32 };

  const gatewayEdge = await serveGatewayEdge({
    bus: deps.bus,
    store: deps.store,
    pools: deps.pools,
    edgeId,
    consumer: 'xmpp-edge',
    transport: 'xmpp',
    logger: log,
    connections: hub,
    requestTimeoutMs: processConfig.BUS_REQUEST_TIMEOUT_MS,
  });

  const streams = new Set<C2sStream>();
  const throttle = new FailureThrottle({ perUser: config.XMPP_AUTH_MAX_FAILURES_PER_USER, perSource: config.XMPP_AUTH_MAX_FAILURES_PER_SOURCE, windowMs: config.XMPP_AUTH_FAILURE_WINDOW_MS });
  const common = { domains, hub, credentials, limits, throttle, authTimeoutMs: config.XMPP_AUTH_TIMEOUT_MS, stanzasPerSecond: config.XMPP_STANZAS_PER_S, stanzaBurst: config.XMPP_STANZA_BURST, maxAuthFailures: 3, logger: log };
  const listener = await listenC2s({
    host: config.XMPP_HOST,
    port: config.XMPP_PORT,
    tls: tlsOptions,
    idleMs: config.XMPP_IDLE_TIMEOUT_MS,
    maxConnectionsPerIp: MAX_CONNECTIONS_PER_IP,
    logger: log,
    accept: (wire) => {
      const s = new C2sStream(
        {
          ...wire,
          end: () => {
            streams.delete(s);
            wire.end();
          },
        },
        common,
      );
      streams.add(s);
      return s;
    },
  });
  const bosh = new BoshService({ ...common, inactivityS: config.XMPP_BOSH_INACTIVITY_S, maxWaitS: config.XMPP_BOSH_MAX_WAIT_S });

  // [issue 15] A user who left the directory is signed out of XMPP too.
  const unwatch = deps.directory?.onChange(({ removed }) => {
    const gone = new Set(removed);
    for (const s of hub.sessions()) {
      if (!gone.has(s.aor)) continue;
      void hub.unbind(s, 'signed-out');
      s.signOut();
    }
  });
  // Last: /readyz asks this, so ready means listening, with every handler in place.
  const ping = await servePing('xmpp-edge', deps);
  log.info({ port: listener.port, edgeId, domains }, 'XMPP edge listening');

  return {
    xmppPort: listener.port,
    edgeId,
    certificate: tlsOptions.cert,
    bosh,
    refreshAll: () => Promise.all(hub.sessions().map((s) => s.endpoint.refresh())),
    reload: () => {
      if (!config.SIP_TLS_CERT_FILE || !config.SIP_TLS_KEY_FILE) return;
      listener.setCertificate({ cert: readFileSync(config.SIP_TLS_CERT_FILE, 'utf8'), key: readFileSync(config.SIP_TLS_KEY_FILE, 'utf8') });
    },
    stop: async () => {
      unwatch?.();
      // RFC 6120 §4.9.3.22: the server is going down; each endpoint ends while the bus is open.
      for (const s of [...streams]) s.fail('system-shutdown', 'server shutting down');
      await bosh.stop();
      await Promise.all(hub.sessions().map((s) => hub.unbind(s, 'connection-lost')));
      await listener.close();
      // Endpoints of closed connections end while the bus is still open (no 'bus is closed' at SIGTERM).
      await hub.settle();
      await gatewayEdge.stop();
      await ping.stop();
    },
  };
}

/**
 * The XMPP edge: c2s streams on XMPP_PORT and BOSH on the HTTP port, each bound resource an
 * endpoint of the presence core (README "XMPP").
 */
export const xmppEdge: ServiceModule = {
  name: 'xmpp-edge',
  once: true,
  start: startXmppEdge,
  http: (app, running) => registerBoshRoutes(app, () => (running() as RunningXmppEdge | undefined)?.bosh),
};
