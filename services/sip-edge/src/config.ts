import { env, loadConfig, type ConfigOf } from '@presence/telemetry';

/** The SIP edge's own settings. README's configuration table lists these too. */
export const edgeEnv = {
  SIP_PORT: env.port({ default: 5060, doc: 'SIP over UDP and TCP.' }),
  SIP_TLS_PORT: env.port({ default: 5061, doc: 'SIP over TLS.' }),
  SIP_HOST: env.string({ default: '0.0.0.0', doc: 'Address the SIP listeners bind to.' }),
  SIP_TLS_CERT_FILE: env.optionalString({ doc: 'PEM certificate (chain) for TLS. Unset: a self-signed one is generated at start.' }),
  SIP_TLS_KEY_FILE: env.optionalString({ doc: 'PEM private key for SIP_TLS_CERT_FILE.' }),
  SIP_MAX_BODY_BYTES: env.int({ default: 262_144, min: 1024, max: 16_777_216, doc: 'Largest SIP body accepted; larger ones get 413.' }),
  SIP_MESSAGE_MAX_BYTES: env.int({ default: 16_384, min: 256, max: 1_048_576, doc: 'Largest page-mode MESSAGE body (RFC 3428) relayed; larger ones get 413. Longer content belongs in a session (RFC 3428 §7).' }),
  PRESENCE_AUTH: env.oneOf(['digest', 'none'], { default: 'digest', doc: '`digest`: challenge unauthenticated connections; `none`: trust the From header (trusted networks only).' }),
  PRESENCE_DIGEST_ALGORITHMS: env.list({
    default: ['SHA-256', 'MD5'],
    item: /^(SHA-256|MD5)$/,
    itemText: 'SHA-256 or MD5',
    doc: 'Digest algorithms offered, most preferred first (clients that read one challenge take the first).',
  }),
  PRESENCE_DIGEST_MD5_ONLY_AGENTS: env.string({
    default: '^baresip v?[01]\\.',
    doc: 'Regular expression (case-insensitive) of User-Agents offered MD5 alone: stock clients that fail on any other algorithm in a 401 (baresip 1.0); `^$` turns this off. Requests without a User-Agent get MD5 first.',
  }),
  PRESENCE_FEDERATION_PARTNERS: env.optionalString({
    doc: 'Partner deployments, `domain=sip:host[:port][;transport=tls|tcp]` comma separated (TLS by default, certificates checked). Their users’ requests from their address are taken without a challenge; local users’ SUBSCRIBE/MESSAGE for them go out to them. Set: a From in any other foreign domain gets 403.',
  }),
  PRESENCE_FEDERATION_CA_FILE: env.optionalString({ doc: 'PEM file of extra CAs trusted for partners’ TLS certificates (with the system ones).' }),
  PRESENCE_NONCE_SECRET: env.optionalString({ doc: 'Secret (32+ characters) every edge signs digest nonces with, so any edge accepts them. Unset: a random one per edge.' }),
  PRESENCE_NONCE_SECRET_FILE: env.optionalString({ doc: 'File holding PRESENCE_NONCE_SECRET (a mounted secret); read when it is unset.' }),
  SIP_AUTH_MAX_FAILURES_PER_USER: env.int({ default: 10, min: 1, max: 1_000_000, doc: 'Failed digest attempts for one user within SIP_AUTH_FAILURE_WINDOW_MS before further attempts are refused (403, Retry-After).' }),
  SIP_AUTH_MAX_FAILURES_PER_SOURCE: env.int({ default: 30, min: 1, max: 1_000_000, doc: 'Failed digest attempts from one source address within SIP_AUTH_FAILURE_WINDOW_MS before further attempts are refused.' }),
  SIP_AUTH_FAILURE_WINDOW_MS: env.int({ default: 300_000, min: 1000, max: 86_400_000, doc: 'The sliding window failed digest attempts are counted in.' }),
  PRESENCE_USERS_FILE: env.optionalString({ doc: 'JSON file of users and passwords. Embedded mode defaults to config/dev-users.json.' }),
  SIP_MAX_IN_FLIGHT_PER_CONNECTION: env.int({ default: 16, min: 1, max: 10_000, doc: 'Requests one connection (or UDP source) may have in progress; more get 503 with Retry-After at once.' }),
  SIP_MAX_IN_FLIGHT_PER_USER: env.int({ default: 64, min: 1, max: 10_000, doc: 'Requests one user may have in progress over all connections; more get 503 with Retry-After at once.' }),
  SIP_USER_REQUESTS_PER_S: env.int({ default: 20, min: 1, max: 1_000_000, doc: 'Requests one user may make per second once SIP_USER_BURST is spent; more get 503 with Retry-After.' }),
  SIP_USER_BURST: env.int({ default: 100, min: 1, max: 1_000_000, doc: 'Requests one user may make at once (a sign-in sends a few dozen).' }),
  SIP_MAX_IN_FLIGHT: env.int({ default: 2000, min: 1, max: 1_000_000, doc: 'Requests the whole edge may have in progress; more get 503 with Retry-After at once.' }),
  SIP_MAX_CONNECTIONS_PER_IP: env.int({ default: 500, min: 1, max: 1_000_000, doc: 'TCP/TLS connections one source address may hold before they sign in; more are closed at once.' }),
  SIP_MAX_CONNECTIONS_PER_USER: env.int({ default: 64, min: 1, max: 100_000, doc: 'Signed-in TCP/TLS connections one user may hold; a further one is answered 503 and not signed in.' }),
  SIP_UNAUTHENTICATED_IDLE_MS: env.int({ default: 30_000, min: 100, max: 3_600_000, doc: 'A connection not signed in is closed after this long without a complete message.' }),
  SIP_MESSAGE_TIMEOUT_MS: env.int({ default: 10_000, min: 100, max: 600_000, doc: 'A message begun must be complete within this, or the connection is closed (slow senders).' }),
  SIP_TLS_HANDSHAKE_TIMEOUT_MS: env.int({ default: 10_000, min: 100, max: 600_000, doc: 'A TLS handshake must be done within this, or the connection is closed.' }),
  REGISTER_MAX_ENDPOINTS: env.int({ default: 8, min: 1, max: 1000, doc: 'Most endpoints one user may have registered (Lync’s default 8); a new one past it replaces the least recently registered.' }),
  REGISTER_MIN_EXPIRES: env.int({ default: 60, min: 1, max: 86_400, doc: 'Shortest registration accepted (shorter: 423 with Min-Expires).' }),
  REGISTER_DEFAULT_EXPIRES: env.int({ default: 3600, min: 1, max: 86_400, doc: 'Registration lifetime when the client names none.' }),
  REGISTER_MAX_EXPIRES: env.int({ default: 7200, min: 1, max: 86_400, doc: 'Longest registration granted.' }),
};

export type EdgeConfig = ConfigOf<typeof edgeEnv>;

export function loadEdgeConfig(source: NodeJS.ProcessEnv): EdgeConfig {
  return loadConfig(edgeEnv, source);
}
