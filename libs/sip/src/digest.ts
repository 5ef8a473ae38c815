import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { param, parseParams, quote, type Params } from './params.js';
import { parseUri } from './uri.js';

/** RFC 7616 / RFC 8760 digest algorithms this server accepts. */
export type DigestAlgorithm = 'MD5' | 'SHA-256';
export const DIGEST_ALGORITHMS: readonly DigestAlgorithm[] = ['SHA-256', 'MD5'];

/** Credentials from an Authorization header (RFC 7616 §3.4). */
export interface DigestCredentials {
  readonly username: string;
  readonly realm: string;
  readonly nonce: string;
  readonly uri: string;
  readonly response: string;
  readonly algorithm: DigestAlgorithm;
  readonly cnonce?: string;
  readonly qop?: string;
  readonly nc?: string;
  readonly opaque?: string;
}

/** Parses `Digest username="..", ...`; undefined when it is not a well-formed digest credential. */
export function parseDigestCredentials(value: string): DigestCredentials | undefined {
  const m = /^Digest\s+(.*)$/is.exec(value.trim());
  if (!m) return undefined;
  const p: Params = parseParams(m[1]!, ',');
  const get = (n: string) => param(p, n);
  const algorithm = (get('algorithm') ?? 'MD5').toUpperCase();
  if (algorithm !== 'MD5' && algorithm !== 'SHA-256') return undefined;
  const [username, realm, nonce, uri, response] = ['username', 'realm', 'nonce', 'uri', 'response'].map(get);
  if (!username || realm === undefined || !nonce || !uri || !response) return undefined;
  const qop = get('qop');
  const nc = get('nc');
  const cnonce = get('cnonce');
  if (qop !== undefined && (qop !== 'auth' || !nc || !/^[0-9a-f]{8}$/i.test(nc) || !cnonce)) return undefined;
  return {
    username,
    realm,
    nonce,
    uri,
    response: response.toLowerCase(),
    algorithm,
    ...(qop !== undefined ? { qop, nc: nc!, cnonce: cnonce! } : {}),
    ...(get('opaque') !== undefined ? { opaque: get('opaque')! } : {}),
  };
}

function h(alg: DigestAlgorithm, s: string): string {
  return createHash(alg === 'MD5' ? 'md5' : 'sha256').update(s, 'utf8').digest('hex');
}

/**
 * The expected `response` for the given credentials and password (RFC 7616 §3.4.1):
 * H(H(user:realm:password):nonce:nc:cnonce:qop:H(method:uri)), or without qop the RFC 2069 form.
 */
export function digestResponse(c: Omit<DigestCredentials, 'response'>, method: string, password: string): string {
  return digestResponseFromHa1(c, method, digestHa1(c.algorithm, c.username, c.realm, password));
}

/**
 * HA1 = H(username:realm:password) (RFC 7616 §3.4.2): a password-equivalent for this realm, what a
 * directory stores instead of the password itself.
 */
export function digestHa1(algorithm: DigestAlgorithm, username: string, realm: string, password: string): string {
  return h(algorithm, `${username}:${realm}:${password}`);
}

/** The expected `response` from a stored HA1 (RFC 7616 §3.4.1): the password is never needed. */
export function digestResponseFromHa1(c: Omit<DigestCredentials, 'response'>, method: string, ha1: string): string {
  const ha2 = h(c.algorithm, `${method}:${c.uri}`);
  const a = ha1.toLowerCase();
  return c.qop ? h(c.algorithm, `${a}:${c.nonce}:${c.nc}:${c.cnonce}:${c.qop}:${ha2}`) : h(c.algorithm, `${a}:${c.nonce}:${ha2}`);
}

function sameText(expected: string, given: string): boolean {
  const e = Buffer.from(expected);
  const g = Buffer.from(given);
  return e.length === g.length && timingSafeEqual(e, g);
}

export function checkDigestResponse(c: DigestCredentials, method: string, password: string): boolean {
  return sameText(digestResponse(c, method, password), c.response);
}

/** Checks credentials against a stored HA1 of the credentials' algorithm. */
export function checkDigestResponseHa1(c: DigestCredentials, method: string, ha1: string): boolean {
  return sameText(digestResponseFromHa1(c, method, ha1), c.response);
}

/** A WWW-Authenticate value for one algorithm (qop=auth). */
export function digestChallenge(realm: string, nonce: string, opaque: string, algorithm: DigestAlgorithm, stale = false): string {
  return `Digest realm=${quote(realm)}, nonce=${quote(nonce)}, opaque=${quote(opaque)}, algorithm=${algorithm}, qop="auth"${stale ? ', stale=TRUE' : ''}`;
}

export type NonceCheck = 'valid' | 'stale' | 'invalid' | 'replayed';

/** A nonce's own validity (MAC and age), before any nonce count is looked at. */
export type NonceVerdict = { readonly status: 'valid'; readonly expiresAt: number } | { readonly status: 'stale' | 'invalid' };

/** Milliseconds since the epoch; injected so tests control time. */
export type Clock = () => number;

/** The nonce count as a number; a credential without qop counts as 1, so its nonce serves once. */
export function nonceCount(nc: string | undefined): number {
  return nc === undefined ? 1 : parseInt(nc, 16);
}

/**
 * Whether the credentials' `uri` names the Request-URI (RFC 7616 §3.4.6: the server MUST check
 * that they are the same resource; RFC 3261 §22.4). Exact text, or the same scheme, user, host
 * (case-insensitive) and port: clients re-encode URIs, never retarget them.
 */
export function digestUriMatches(credUri: string, requestUri: string): boolean {
  if (credUri === requestUri) return true;
  const a = parseUri(credUri);
  const b = parseUri(requestUri);
  if (!a.ok || !b.ok) return false;
  return a.value.scheme === b.value.scheme && a.value.user === b.value.user && a.value.host.toLowerCase() === b.value.host.toLowerCase() && a.value.port === b.value.port;
}

/**
 * Whether credentials whose `uri` differs from the Request-URI still name this server: a URI
 * without a user part whose host is one of `hosts` (a served domain, or the address the request
 * came in on) and whose port, if any, is `port`. Stock clients compute the digest over the address
 * they sent to rather than the Request-URI (SIPp: `uri="sip:<server ip>:<port>"` on a
 * `REGISTER sip:<domain>`); such credentials cannot be replayed to another server, which is what
 * the check of RFC 7616 §3.4.6 is for, so they are taken.
 */
export function digestUriNamesServer(credUri: string, hosts: readonly string[], port: number): boolean {
  const u = parseUri(credUri);
  if (!u.ok || u.value.user !== undefined) return false;
  if (u.value.port !== undefined && u.value.port !== port) return false;
  const host = u.value.host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return hosts.some((h) => h.toLowerCase() === host);
}

/**
 * Issues and checks nonces: `base64url(issuedAt | random | HMAC(secret, issuedAt | random))`, so any
 * instance with the same secret (every edge of a deployment, when configured) can tell the
 * deployment's nonces and their age without storing them. {@link verify} checks a nonce alone;
 * the caller records its count only once the password checked (RFC 7616 §3.4.5), so a wrong
 * guess never burns the count of the real client. {@link use} does both with a local, bounded
 * record, for a single instance.
 */
export class NonceService {
  private readonly used = new Map<string, { nc: number; expires: number }>();

  constructor(
    private readonly secret: Buffer = randomBytes(32),
    readonly ttlMs = 300_000,
    private readonly now: Clock = Date.now,
    /** Most nonces whose count is remembered locally; the oldest are forgotten first. */
    private readonly maxTracked = 100_000,
  ) {}

  issue(): string {
    const body = Buffer.alloc(16);
    body.writeBigUInt64BE(BigInt(this.now()), 0);
    randomBytes(8).copy(body, 8);
    const mac = createHmac('sha256', this.secret).update(body).digest().subarray(0, 16);
    return Buffer.concat([body, mac]).toString('base64url');
  }

  /** Checks a nonce's MAC and age; records nothing. */
  verify(nonce: string): NonceVerdict {
    const raw = Buffer.from(nonce, 'base64url');
    if (raw.length !== 32) return { status: 'invalid' };
    const mac = createHmac('sha256', this.secret).update(raw.subarray(0, 16)).digest().subarray(0, 16);
    if (!timingSafeEqual(mac, raw.subarray(16))) return { status: 'invalid' };
    const issued = Number(raw.readBigUInt64BE(0));
    const now = this.now();
    if (now - issued > this.ttlMs || issued > now + 60_000) return { status: 'stale' };
    return { status: 'valid', expiresAt: issued + this.ttlMs };
  }

  /** Checks a nonce and its count; a valid use is recorded, so the same (nonce, nc) cannot pass twice. */
  use(nonce: string, nc: string | undefined): NonceCheck {
    const v = this.verify(nonce);
    if (v.status !== 'valid') return v.status;
    const now = this.now();
    this.prune(now);
    const count = nonceCount(nc);
    const prev = this.used.get(nonce);
    if (prev && count <= prev.nc) return 'replayed';
    this.used.delete(nonce);
    this.used.set(nonce, { nc: count, expires: v.expiresAt });
    return 'valid';
  }

  private prune(now: number): void {
    if (this.used.size < 1024) return;
    for (const [k, v] of this.used) if (v.expires < now) this.used.delete(k);
    // Insertion order is age order: past the bound, the oldest go.
    for (const k of this.used.keys()) {
      if (this.used.size < this.maxTracked) break;
      this.used.delete(k);
    }
  }
}
