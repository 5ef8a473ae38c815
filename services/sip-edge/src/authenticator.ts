import {
  addressOfRecord,
  checkDigestResponse,
  checkDigestResponseHa1,
  createResponse,
  digestChallenge,
  digestUriMatches,
  digestUriNamesServer,
  getHeader,
  getHeaders,
  nonceCount,
  NonceService,
  parseDigestCredentials,
  parseUri,
  randomToken,
  type DigestAlgorithm,
  type DigestCredentials,
  type SipRequest,
  type SipResponse,
} from '@presence/sip';
import type { Logger } from '@presence/telemetry';
import { challengeAlgorithms } from './challenge-order.js';
import type { Flow } from './flows.js';
import type { NonceReplay } from './nonce-replay.js';
import type { FailureThrottle } from './throttle.js';
import type { UserDirectory, UserEntry } from '@presence/runtime';

export type AuthOutcome = { readonly ok: true; readonly user: string } | { readonly ok: false; readonly response: SipResponse };

/** Why credentials were refused: the `reason` of the one log line per failure. */
type FailureReason = 'unknown user' | 'wrong password' | 'uri mismatch' | 'invalid nonce' | 'replayed nonce' | 'throttled';

export interface AuthenticatorOptions {
  mode: 'digest' | 'none';
  users: UserDirectory | undefined;
  realm: string;
  /** Served domains: credentials whose `uri` names one of them (or the address a request came in on) name this server. */
  domains?: readonly string[];
  nonces: NonceService;
  /** Highest nonce count per nonce, shared by every edge through the store. */
  replay: NonceReplay;
  throttle: FailureThrottle;
  logger: Logger;
  /**
   * With `mode: 'none'`, refuse a From user the directory does not list (issue 15: behind an
   * authenticating proxy, the directory still says who may use the server; a disabled user is refused).
   */
  listedOnly?: boolean;
  /** Offered in this order (RFC 8760 §3: most preferred first); credentials in any other are refused. */
  algorithms?: readonly DigestAlgorithm[];
  /** User-Agents offered MD5 alone (see {@link challengeAlgorithms}). */
  md5OnlyAgents?: RegExp;
}

/**
 * Whether digest credentials prove the user's secret: the clear password (development users file),
 * else the stored HA1 of the credentials' algorithm for the username form the client sent
 * (`alice`: ha1, `alice@contoso.com`: ha1b). A directory keeping only HA1 values never needs the
 * password (RFC 7616 §3.4.2); an algorithm without a stored HA1 is refused like a wrong password.
 */
export function credentialsMatch(c: DigestCredentials, method: string, entry: UserEntry): boolean {
  if (entry.password !== undefined) return checkDigestResponse(c, method, entry.password);
  const ha1 = (c.username.includes('@') ? entry.ha1b : entry.ha1)?.[c.algorithm];
  return ha1 !== undefined && checkDigestResponseHa1(c, method, ha1);
}

/**
 * Digest authentication (RFC 7616: SHA-256 and MD5). A TCP/TLS connection that has authenticated
 * stays authenticated as that user; every request on one that has not gets a 401 challenge. UDP has
 * no connection (one source address may carry many users behind a NAT), so there every request
 * must carry credentials; clients reuse the nonce with an increasing nonce count.
 * Credentials are checked in this order: throttling, nonce (MAC and age), `uri` against the
 * Request-URI, password, and only then the nonce count is recorded, so a wrong guess changes nothing.
 * Every failure is one log line with source address, user and reason (fail2ban can read it).
 * With `mode: 'none'` the From header is trusted (trusted networks only).
 */
export class Authenticator {
  private readonly opaque = randomToken(8);
  private readonly algorithms: readonly DigestAlgorithm[];

  constructor(private readonly o: AuthenticatorOptions) {
    this.algorithms = o.algorithms ?? ['SHA-256', 'MD5'];
  }

  async authenticate(flow: Flow, req: SipRequest, fromAor: string): Promise<AuthOutcome> {
    if (this.o.mode === 'none') {
      if (this.o.listedOnly && !this.o.users?.get(fromAor)) return { ok: false, response: createResponse(req, 403, { toTag: randomToken(), reason: 'Not In The Directory' }) };
      return { ok: true, user: fromAor };
    }
    if (flow.reliable && flow.user !== undefined) return { ok: true, user: flow.user };
    const source = flow.remote.address;
    let stale = false;
    for (const header of getHeaders(req, 'Authorization')) {
      const c = parseDigestCredentials(header);
      if (!c || c.realm !== this.o.realm || !this.algorithms.includes(c.algorithm)) continue;
      const aor = this.toAor(c.username);
      const fail = (reason: FailureReason) => {
        this.o.logger.warn({ event: 'sip-auth-failure', source, port: flow.remote.port, transport: flow.transport, user: aor ?? c.username, reason }, `SIP authentication failed from ${source}: ${reason}`);
        if (reason !== 'throttled' && reason !== 'replayed nonce') this.o.throttle.failed(source, aor);
      };
      const waitMs = this.o.throttle.retryAfterMs(source, aor);
      if (waitMs > 0) {
        fail('throttled');
        return { ok: false, response: this.refuse(req, waitMs) };
      }
      const nonce = this.o.nonces.verify(c.nonce);
      if (nonce.status !== 'valid') {
        if (nonce.status === 'stale') stale = true;
        else fail('invalid nonce');
        continue;
      }
      if (!digestUriMatches(c.uri, req.uri) && !digestUriNamesServer(c.uri, [this.o.realm, ...(this.o.domains ?? []), flow.local.address], flow.local.port)) {
        fail('uri mismatch');
        continue;
      }
      const entry = aor === undefined ? undefined : this.o.users?.get(aor);
      if (!entry) {
        fail('unknown user');
        continue;
      }
      if (!credentialsMatch(c, req.method, entry)) {
        fail('wrong password');
        continue;
      }
      if (!(await this.o.replay.record(entry.aor, c.nonce, nonceCount(c.nc), nonce.expiresAt))) {
        fail('replayed nonce');
        continue;
      }
      if (flow.reliable) flow.user = entry.aor;
      return { ok: true, user: entry.aor };
    }
    return { ok: false, response: this.challenge(req, stale) };
  }

  /** `alice`, `alice@contoso.com` and `sip:alice@contoso.com` all name `sip:alice@contoso.com`. */
  private toAor(username: string): string | undefined {
    const s = username.includes('@') ? (username.startsWith('sip:') ? username : `sip:${username}`) : `sip:${username}@${this.o.realm}`;
    const u = parseUri(s);
    return u.ok ? addressOfRecord(u.value) : undefined;
  }

  private challenge(req: SipRequest, stale: boolean): SipResponse {
    const nonce = this.o.nonces.issue();
    return createResponse(req, 401, {
      toTag: randomToken(),
      headers: challengeAlgorithms(this.algorithms, getHeader(req, 'User-Agent'), this.o.md5OnlyAgents).map((alg) => ({ name: 'WWW-Authenticate', value: digestChallenge(this.o.realm, nonce, this.opaque, alg, stale) })),
    });
  }

  /** Too many failures: refused for now, without a new challenge (RFC 3261 §21.4.4; Retry-After §20.33). */
  private refuse(req: SipRequest, waitMs: number): SipResponse {
    return createResponse(req, 403, {
      toTag: randomToken(),
      reason: 'Too Many Failed Attempts',
      headers: [{ name: 'Retry-After', value: String(Math.max(1, Math.ceil(waitMs / 1000))) }],
    });
  }
}
