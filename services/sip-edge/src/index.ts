import { readFileSync } from 'node:fs';
import { edgeDeliverMessage, edgeSend, edgeSendBatch } from '@presence/bus';
import { DEV_USERS_FILE, loadProcessConfig, usersFileOf, StoreEpoch, servePing, type RunningService, type ServiceDeps, type ServiceModule } from '@presence/runtime';
import { DEFAULT_LIMITS, NonceService, type DigestAlgorithm } from '@presence/sip';
import { ConfigError } from '@presence/telemetry';
import { Authenticator } from './authenticator.js';
import { loadEdgeConfig } from './config.js';
import { SipEdge, SUPPORTED } from './edge.js';
import { InFlight } from './in-flight.js';
import { loadNonceSecret } from './nonce-secret.js';
import { NonceReplay } from './nonce-replay.js';
import { FailureThrottle } from './throttle.js';
import type { Flow, SipListener } from './flows.js';
import { Outbound } from './outbound.js';
import { Registrar } from './registrar.js';
import { MessageDelivery } from './deliver-message.js';
import { MessageRelay } from './message.js';
import { parsePartners } from './partner-config.js';
import { Partners } from './partners.js';
import { EdgeMetrics } from './metrics.js';
import { ALLOW_EVENTS } from './router.js';
import { listenStream } from './transport/stream.js';
import { selfSignedCertificate } from './transport/self-signed.js';
import { listenUdp } from './transport/udp.js';

export { edgeEnv, loadEdgeConfig, type EdgeConfig } from './config.js';
export { selfSignedCertificate } from './transport/self-signed.js';
export { ALLOW, SUPPORTED } from './edge.js';
export { ALLOW_EVENTS } from './router.js';
export { credentialsMatch } from './authenticator.js';
export { FailureThrottle } from './throttle.js';

export { DEV_USERS_FILE } from '@presence/runtime';

/** A running edge, with the ports it actually bound (tests start it on port 0). */
export interface RunningEdge extends RunningService {
  readonly ports: { readonly udp: number; readonly tcp: number; readonly tls: number };
  /** The TLS certificate in use (PEM), so clients can trust a generated one. */
  readonly certificate: string;
}

const SWEEP_MS = 1000;

export async function startEdge(deps: ServiceDeps): Promise<RunningEdge> {
  const config = loadEdgeConfig(deps.env);
  const log = deps.logger;
  if (config.REGISTER_MIN_EXPIRES > config.REGISTER_DEFAULT_EXPIRES || config.REGISTER_DEFAULT_EXPIRES > config.REGISTER_MAX_EXPIRES) {
    throw new ConfigError('REGISTER_DEFAULT_EXPIRES', 'Invalid registration lifetimes: need REGISTER_MIN_EXPIRES <= REGISTER_DEFAULT_EXPIRES <= REGISTER_MAX_EXPIRES');
  }
  const usersFile = usersFileOf(deps.env, deps.mode);
  const users = deps.directory;
  if (config.PRESENCE_AUTH === 'digest' && users === undefined) {
    throw new ConfigError('PRESENCE_USERS_FILE', 'Missing environment variable PRESENCE_USERS_FILE: expected the users file, PRESENCE_DIRECTORY=store|ldap, or PRESENCE_AUTH=none');
  }
  if (config.PRESENCE_AUTH === 'none') log.warn('PRESENCE_AUTH=none: requests are not authenticated; the From header is trusted. Use only on trusted networks.');
  if (usersFile === DEV_USERS_FILE && deps.mode === 'embedded') log.warn({ usersFile }, 'using the development users file; set PRESENCE_USERS_FILE for real accounts');

  const readCertificate = (cert: string, key: string) => ({ cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') });
  let tlsOptions: { cert: string; key: string };
  if (config.SIP_TLS_CERT_FILE && config.SIP_TLS_KEY_FILE) {
    tlsOptions = readCertificate(config.SIP_TLS_CERT_FILE, config.SIP_TLS_KEY_FILE);
  } else if (config.SIP_TLS_CERT_FILE || config.SIP_TLS_KEY_FILE) {
    throw new ConfigError('SIP_TLS_CERT_FILE', 'Invalid TLS configuration: set both SIP_TLS_CERT_FILE and SIP_TLS_KEY_FILE, or neither');
  } else {
    tlsOptions = selfSignedCertificate(deps.domains[0]!, ['localhost', '127.0.0.1']);
    if (deps.mode === 'clustered') log.warn('no SIP_TLS_CERT_FILE/SIP_TLS_KEY_FILE: TLS uses a generated self-signed certificate');
  }

  let md5OnlyAgents: RegExp | undefined;
  try {
    md5OnlyAgents = config.PRESENCE_DIGEST_MD5_ONLY_AGENTS.trim() === '' ? undefined : new RegExp(config.PRESENCE_DIGEST_MD5_ONLY_AGENTS, 'i');
  } catch (e) {
    throw new ConfigError('PRESENCE_DIGEST_MD5_ONLY_AGENTS', `Invalid PRESENCE_DIGEST_MD5_ONLY_AGENTS: not a regular expression (${(e as Error).message})`);
  }
  const flows = new Map<string, Flow>();
  const nonceSecret = loadNonceSecret(config.PRESENCE_NONCE_SECRET, config.PRESENCE_NONCE_SECRET_FILE);
  if (nonceSecret === undefined && deps.mode === 'clustered' && config.PRESENCE_AUTH === 'digest') {
    log.warn('no PRESENCE_NONCE_SECRET: nonces are valid on this edge only; behind a load balancer clients are challenged again by other edges');
  }
  const replay = new NonceReplay(deps.store);
  const processConfig = loadProcessConfig(deps.env);
  const limits = { ...DEFAULT_LIMITS, maxBodyBytes: config.SIP_MAX_BODY_BYTES };
  const metrics = new EdgeMetrics(flows);
  const outbound = new Outbound({ bus: deps.bus, edgeId: deps.instanceId, logger: log, flows, dialogs: metrics.dialogs });
  const registrar = new Registrar({
    store: deps.store,
    bus: deps.bus,
    edgeId: deps.instanceId,
    domains: deps.domains.map((d) => d.toLowerCase()),
    homePool: (aor) => deps.pools.home(aor),
    pools: deps.pools.all.map((p) => p.id),
    minExpires: config.REGISTER_MIN_EXPIRES,
    defaultExpires: config.REGISTER_DEFAULT_EXPIRES,
    maxExpires: config.REGISTER_MAX_EXPIRES,
    maxEndpoints: config.REGISTER_MAX_ENDPOINTS,
    extraHeaders: [...SUPPORTED.map((t) => ({ name: 'Supported', value: t })), { name: 'Allow-Events', value: ALLOW_EVENTS }],
    logger: log,
    onBindings: (delta) => metrics.bindings(delta),
  });
  const messages = {
    relay: new MessageRelay({ bus: deps.bus, pools: deps.pools, domains: deps.domains.map((d) => d.toLowerCase()), maxBytes: config.SIP_MESSAGE_MAX_BYTES }),
    delivery: new MessageDelivery({ store: deps.store, homePool: (aor) => deps.pools.home(aor), flows, logger: log }),
  };
  // Issue 14 item 5: federation with partner deployments.
  const partners = new Partners({
    partners: parsePartners(config.PRESENCE_FEDERATION_PARTNERS),
    domains: deps.domains.map((d) => d.toLowerCase()),
    handler: () => edge,
    limits,
    logger: log,
    ...(config.PRESENCE_FEDERATION_CA_FILE ? { ca: readFileSync(config.PRESENCE_FEDERATION_CA_FILE, 'utf8') } : {}),
  });
  partners.attach(flows);
  await partners.start();
  const edge: SipEdge = new SipEdge({
    partners,
    messages,
    metrics,
    bus: deps.bus,
    pools: deps.pools,
    edgeId: deps.instanceId,
    logger: log,
    limits,
    authenticator: new Authenticator({
      mode: config.PRESENCE_AUTH,
      users,
      // A managed or LDAP directory decides who may use the server even when a proxy authenticates.
      listedOnly: ['store', 'ldap'].includes(deps.env.PRESENCE_DIRECTORY?.trim() ?? ''),
      realm: deps.domains[0]!,
      domains: deps.domains,
      nonces: new NonceService(nonceSecret),
      replay,
      throttle: new FailureThrottle({
        perUser: config.SIP_AUTH_MAX_FAILURES_PER_USER,
        perSource: config.SIP_AUTH_MAX_FAILURES_PER_SOURCE,
        windowMs: config.SIP_AUTH_FAILURE_WINDOW_MS,
      }),
      logger: log,
      algorithms: config.PRESENCE_DIGEST_ALGORITHMS as readonly DigestAlgorithm[],
      ...(md5OnlyAgents ? { md5OnlyAgents } : {}),
    }),
    registrar,
    outbound,
    flows,
    inFlight: {
      perConnection: config.SIP_MAX_IN_FLIGHT_PER_CONNECTION,
      perUser: config.SIP_MAX_IN_FLIGHT_PER_USER,
      total: config.SIP_MAX_IN_FLIGHT,
      userRatePerSecond: config.SIP_USER_REQUESTS_PER_S,
      userBurst: config.SIP_USER_BURST,
      perUserConnections: config.SIP_MAX_CONNECTIONS_PER_USER,
    },
    requestTimeoutMs: processConfig.BUS_REQUEST_TIMEOUT_MS,
  });

  const ping = await servePing('sip-edge', deps);
  const send = await deps.bus.handle(edgeSend, deps.instanceId, (req) => {
    const sent = outbound.send(req);
    metrics.notified(req.method, sent.sent);
    return sent;
  }, { queue: `edge-${deps.instanceId}` });
  const sendBatch = await deps.bus.handle(
    edgeSendBatch,
    deps.instanceId,
    (req) => {
      const reply = outbound.sendBatch(req);
      req.items.forEach((item, i) => metrics.notified(item.method, reply.sent[i] === true));
      return reply;
    },
    { queue: `edge-${deps.instanceId}` },
  );
  // RFC 3428 page-mode MESSAGE for an endpoint on one of this edge's connections (sent by federation).
  const deliverMessage = await deps.bus.handle(edgeDeliverMessage, deps.instanceId, (req) => messages.delivery.deliver(req), { queue: `edge-${deps.instanceId}` });
  const connections = {
    perIp: new InFlight(config.SIP_MAX_CONNECTIONS_PER_IP),
    unauthenticatedIdleMs: config.SIP_UNAUTHENTICATED_IDLE_MS,
    messageMs: config.SIP_MESSAGE_TIMEOUT_MS,
    tlsHandshakeMs: config.SIP_TLS_HANDSHAKE_TIMEOUT_MS,
  };
  const listeners: SipListener[] = [
    await listenUdp({ host: config.SIP_HOST, port: config.SIP_PORT, handler: edge, logger: log }),
    await listenStream({ transport: 'tcp', host: config.SIP_HOST, port: config.SIP_PORT, limits, connections, handler: edge, logger: log }),
    await listenStream({ transport: 'tls', host: config.SIP_HOST, port: config.SIP_TLS_PORT, limits, connections, handler: edge, logger: log, tlsOptions }),
  ];
  const sweeper = setInterval(() => {
    registrar.sweepExpired().catch((e: unknown) => log.warn({ err: e }, 'registration sweep failed'));
    replay.sweep(Date.now()).catch((e: unknown) => log.warn({ err: e }, 'nonce count sweep failed'));
  }, SWEEP_MS);
  sweeper.unref();
  // [issue 12 item 7] A store that lost its data (Redis restarted without persistence) leaves every
  // registration and dialog gone while connections stay up: close them, so clients sign in again.
  const epoch = new StoreEpoch(deps.store, log, () => {
    let closed = 0;
    for (const f of [...flows.values()]) {
      if (f.reliable) {
        f.close();
        closed++;
      }
    }
    log.error({ closed }, 'closed every client connection after the store lost its data');
  });
  if (deps.mode === 'clustered') await epoch.start(processConfig.STORE_CHECK_MS);
  // [issue 15] A user the directory no longer lists (deleted or disabled) is signed out: their
  // connections here close and their endpoints end (endpoint-gone ends their dialogs).
  const unwatch = users?.onChange(({ removed }) => {
    if (removed.length === 0) return;
    // One pass over the connections however many users left (an LDAP refresh may remove many).
    const gone = new Set(removed);
    for (const f of [...flows.values()]) if (f.user !== undefined && gone.has(f.user)) f.close();
    // Their registrations end one user after another: a bulk removal does not flood the store.
    void (async () => {
      for (const aor of removed) {
        await registrar.signOut(aor).catch((e: unknown) => log.warn({ err: e, user: aor }, 'signing out a removed user failed'));
        log.info({ user: aor }, 'user left the directory: signed out');
      }
    })();
  });
  const ports = { udp: listeners[0]!.port, tcp: listeners[1]!.port, tls: listeners[2]!.port };
  partners.listening(ports);
  log.info({ ports, auth: config.PRESENCE_AUTH, domains: deps.domains, pools: deps.pools.all.map((p) => p.id), users: users?.size ?? 0 }, 'SIP edge listening');

  return {
    ports,
    certificate: tlsOptions.cert,
    // SIGHUP: a renewed certificate (cert-manager rewrites the mounted secret) serves new connections.
    reload: () => {
      if (!config.SIP_TLS_CERT_FILE || !config.SIP_TLS_KEY_FILE) return;
      listeners[2]!.setCertificate?.(readCertificate(config.SIP_TLS_CERT_FILE, config.SIP_TLS_KEY_FILE));
      log.info({ file: config.SIP_TLS_CERT_FILE }, 'TLS certificate reloaded');
    },
    stop: async () => {
      unwatch?.();
      clearInterval(sweeper);
      epoch.stop();
      await partners.close();
      await Promise.all(listeners.map((l) => l.close()));
      // The closed connections' endpoints are ended while the bus is still open (issue 13: no
      // 'bus is closed' errors at SIGTERM).
      await edge.settle();
      await deliverMessage.stop();
      await sendBatch.stop();
      await send.stop();
      await ping.stop();
    },
  };
}

/**
 * The SIP edge: UDP/TCP/TLS listeners, registrar with GRUUs, digest authentication, routing of
 * requests to their services over the bus, and delivery of NOTIFY/BENOTIFY to client connections.
 */
export const sipEdge: ServiceModule = { name: 'sip-edge', once: true, start: startEdge };
