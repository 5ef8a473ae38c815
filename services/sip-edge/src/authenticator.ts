import {
  addressOfRecord,
  checkDigestResponse,
  createResponse,
  digestChallenge,
  getHeaders,
  NonceService,
  parseDigestCredentials,
  parseUri,
  randomToken,
  type DigestAlgorithm,
  type SipRequest,
  type SipResponse,
} from '@presence/sip';
import type { Logger } from '@presence/telemetry';
import type { Flow } from './flows.js';
import type { UserDirectory } from '@presence/runtime';

export type AuthOutcome = { readonly ok: true; readonly user: string } | { readonly ok: false; readonly response: SipResponse };

/**
 * Digest authentication (RFC 7616: SHA-256 and MD5). A TCP/TLS connection that has authenticated
 * stays authenticated as that user; every request on one that has not gets a 401 challenge. UDP has
 * no connection (one source address may carry many users behind a NAT), so there every request
 * must carry credentials; clients reuse the nonce with an increasing nonce count.
 * With `mode: 'none'` the From header is trusted (trusted networks only).
 */
export class Authenticator {
  private readonly opaque = randomToken(8);

  constructor(
    private readonly mode: 'digest' | 'none',
    private readonly users: UserDirectory | undefined,
    private readonly realm: string,
    private readonly nonces: NonceService,
    private readonly logger: Logger,
    /** Offered in this order (RFC 8760 §3: most preferred first); credentials in any other are refused. */
    private readonly algorithms: readonly DigestAlgorithm[] = ['SHA-256', 'MD5'],
  ) {}

  authenticate(flow: Flow, req: SipRequest, fromAor: string): AuthOutcome {
    if (this.mode === 'none') return { ok: true, user: fromAor };
    if (flow.reliable && flow.user !== undefined) return { ok: true, user: flow.user };
    let stale = false;
    for (const header of getHeaders(req, 'Authorization')) {
      const c = parseDigestCredentials(header);
      if (!c || c.realm !== this.realm || !this.algorithms.includes(c.algorithm)) continue;
      const nonce = this.nonces.use(c.nonce, c.nc);
      if (nonce === 'stale') {
        stale = true;
        continue;
      }
      if (nonce !== 'valid') {
        this.logger.info({ flow: flow.id, username: c.username, nonce }, 'digest nonce refused');
        continue;
      }
      const aor = this.toAor(c.username);
      const entry = aor === undefined ? undefined : this.users?.get(aor);
      if (entry && checkDigestResponse(c, req.method, entry.password)) {
        if (flow.reliable) flow.user = entry.aor;
        return { ok: true, user: entry.aor };
      }
      this.logger.info({ flow: flow.id, username: c.username }, 'digest authentication failed');
    }
    return { ok: false, response: this.challenge(req, stale) };
  }

  /** `alice`, `alice@contoso.com` and `sip:alice@contoso.com` all name `sip:alice@contoso.com`. */
  private toAor(username: string): string | undefined {
    const s = username.includes('@') ? (username.startsWith('sip:') ? username : `sip:${username}`) : `sip:${username}@${this.realm}`;
    const u = parseUri(s);
    return u.ok ? addressOfRecord(u.value) : undefined;
  }

  private challenge(req: SipRequest, stale: boolean): SipResponse {
    const nonce = this.nonces.issue();
    return createResponse(req, 401, {
      toTag: randomToken(),
      headers: this.algorithms.map((alg) => ({ name: 'WWW-Authenticate', value: digestChallenge(this.realm, nonce, this.opaque, alg, stale) })),
    });
  }
}
