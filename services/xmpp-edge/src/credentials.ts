import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ha1For, type UserDirectory, type UserEntry } from '@presence/runtime';
import { deriveScram, type ScramCredentials, type ScramHash } from './scram.js';

const MAX_CACHED = 10_000;

const same = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * Passwords of the user directory as SASL needs them (README "XMPP", sign-in).
 *
 * The directory keeps either the clear password (users files) or only digest HA1 values (the
 * managed store, issue 15). SCRAM needs a salted key that HA1 cannot give, so:
 * - clear password: SCRAM credentials are derived from it (random salt, 4096 iterations), kept in memory;
 * - HA1 only: PLAIN over TLS is checked against HA1; a successful PLAIN sign-in derives and keeps
 *   SCRAM credentials for that user on this edge, so later SCRAM sign-ins here succeed.
 * The cache is keyed by the secret's fingerprint: a changed password drops the old entry.
 */
export class SaslCredentials {
  private readonly cache = new Map<string, ScramCredentials>();
  /** A fixed fake salt per user name for unknown users (no user enumeration through salts). */
  private readonly fakeSecret = randomBytes(16);

  constructor(
    private readonly directory: UserDirectory | undefined,
    private readonly realm: string,
  ) {}

  user(aor: string): UserEntry | undefined {
    return this.directory?.get(aor);
  }

  private key(entry: UserEntry, h: ScramHash): string {
    const secret = entry.password ?? `${entry.ha1?.MD5 ?? ''}|${entry.ha1?.['SHA-256'] ?? ''}`;
    return `${entry.aor}|${h}|${createHash('sha256').update(secret).digest('base64')}`;
  }

  private remember(k: string, c: ScramCredentials): void {
    if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(k, c);
  }

  /** SCRAM credentials for a user, or undefined when this edge has none (HA1-only user not yet signed in with PLAIN). */
  async scram(aor: string, h: ScramHash): Promise<ScramCredentials | undefined> {
    const entry = this.user(aor);
    if (!entry) return undefined;
    const k = this.key(entry, h);
    const known = this.cache.get(k);
    if (known) return known;
    if (entry.password === undefined) return undefined;
    const derived = await deriveScram(h, entry.password);
    this.remember(k, derived);
    return derived;
  }

  fakeSalt(name: string): Buffer {
    return createHash('sha256').update(this.fakeSecret).update(name).digest().subarray(0, 16);
  }

  /** Checks a PLAIN password against the clear password or the HA1 values; on success primes SCRAM. */
  async checkPassword(aor: string, password: string): Promise<boolean> {
    const entry = this.user(aor);
    if (!entry) return false;
    let ok: boolean;
    if (entry.password !== undefined) ok = same(entry.password, password);
    else {
      const computed = ha1For(entry.aor, this.realm, password).ha1;
      ok = (entry.ha1?.['SHA-256'] !== undefined && same(entry.ha1['SHA-256'], computed['SHA-256'] ?? '')) || (entry.ha1?.MD5 !== undefined && same(entry.ha1.MD5, computed.MD5 ?? ''));
    }
    if (ok) {
      for (const h of ['SHA-1', 'SHA-256'] as const) {
        const k = this.key(entry, h);
        if (!this.cache.has(k)) this.remember(k, await deriveScram(h, password));
      }
    }
    return ok;
  }
}
