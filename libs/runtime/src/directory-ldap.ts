import { readFileSync } from 'node:fs';
import { Client, type Entry } from 'ldapts';
import type { Logger } from '@presence/telemetry';
import { normalizeAor, PROFILE, type Ha1Values, type ProfileField, type UserDirectory, type UserEntry } from './directory.js';
import { outsideDomains } from './directory-file.js';

/** Where each field of a user comes from in the directory. */
export interface LdapMapping {
  /** Tried in order; a value without a scheme (an e-mail address) gets `sip:` put before it. */
  readonly uri: readonly string[];
  readonly profile: Partial<Record<ProfileField, string>>;
  /** Attributes holding HA1 values (hex) for the username `alice` in the deployment's realm. */
  readonly ha1Md5?: string;
  readonly ha1Sha256?: string;
  /** Attribute holding the home pool id. */
  readonly pool?: string;
}

/** Active Directory's names (Lync/Skype for Business schema); OpenLDAP's inetOrgPerson uses the same for these. */
export const DEFAULT_LDAP_PROFILE: Readonly<Record<ProfileField, string>> = {
  displayName: 'displayName',
  givenName: 'givenName',
  surname: 'sn',
  title: 'title',
  office: 'physicalDeliveryOfficeName',
  phone: 'telephoneNumber',
  company: 'company',
  city: 'l',
  state: 'st',
  country: 'c',
  email: 'mail',
};

export interface LdapOptions {
  readonly url: string;
  readonly startTls: boolean;
  /** PEM file of the CA that signed the server's certificate (ldaps:// and StartTLS). */
  readonly caFile?: string;
  /** Unset: an anonymous search. */
  readonly bindDn?: string;
  readonly bindPassword?: string;
  readonly baseDn: string;
  readonly filter: string;
  readonly mapping: LdapMapping;
  readonly domains: readonly string[];
  readonly timeoutMs: number;
}

/** An IPv4 or IPv6 literal (SNI carries names only). Not node:net: socket code stays in the transports. */
const isIpAddress = (h: string) => /^\d{1,3}(\.\d{1,3}){3}$/.test(h) || h.includes(':');

/** The first value of an attribute, its name matched without regard to case (servers return their own spelling). */
function first(entry: Entry, name: string): string | undefined {
  const key = Object.keys(entry).find((k) => k.toLowerCase() === name.toLowerCase());
  const v = key === undefined ? undefined : entry[key];
  const one = Array.isArray(v) ? v[0] : v;
  return one === undefined ? undefined : Buffer.isBuffer(one) ? one.toString('utf8') : String(one);
}

const hexOf = (v: string | undefined, len: number) => (v !== undefined && v.length === len && /^[0-9a-f]+$/i.test(v) ? v.toLowerCase() : undefined);

/** One directory entry as a user; a reason instead when it cannot be one. */
export function userOfEntry(entry: Entry, o: Pick<LdapOptions, 'mapping' | 'domains'>): UserEntry | string {
  const m = o.mapping;
  const raw = m.uri.map((a) => first(entry, a)).find((v) => v !== undefined && v !== '');
  if (raw === undefined) return `${entry.dn}: none of ${m.uri.join(', ')}`;
  const aor = normalizeAor(/^sips?:/i.test(raw) ? raw : `sip:${raw}`);
  if (aor === undefined) return `${entry.dn}: ${raw} is not a SIP address`;
  const outside = outsideDomains(aor, o.domains);
  if (outside) return `${entry.dn}: ${outside}`;
  const profile: Partial<Record<ProfileField, string>> = {};
  for (const k of PROFILE) {
    const attr = m.profile[k];
    const v = attr === undefined ? undefined : first(entry, attr);
    if (v !== undefined) profile[k] = v;
  }
  const md5 = m.ha1Md5 ? hexOf(first(entry, m.ha1Md5), 32) : undefined;
  const sha = m.ha1Sha256 ? hexOf(first(entry, m.ha1Sha256), 64) : undefined;
  const ha1: Ha1Values = { ...(md5 ? { MD5: md5 } : {}), ...(sha ? { 'SHA-256': sha } : {}) };
  const pool = m.pool ? first(entry, m.pool) : undefined;
  return { ...profile, aor, ...(md5 || sha ? { ha1 } : {}), ...(pool ? { pool } : {}) };
}

/** Reads every user the filter selects (paged, so AD's 1000-entry limit does not cut the list). */
export async function readLdapUsers(o: LdapOptions): Promise<{ users: UserEntry[]; skipped: string[] }> {
  const ca = o.caFile ? readFileSync(o.caFile, 'utf8') : undefined;
  // The certificate is checked against the URL's host (SNI only for a name, RFC 6066 §3); a fresh
  // object each time, as ldapts adds the plain socket to the options StartTLS is given.
  const host = new URL(o.url).hostname.replace(/^\[|\]$/g, '');
  const tlsOptions = () => ({ ...(ca ? { ca } : {}), host, ...(isIpAddress(host) ? {} : { servername: host }) });
  // ldapts speaks TLS from the start whenever it is given TLS options: only for ldaps://.
  const secure = /^ldaps:/i.test(o.url);
  const client = new Client({ url: o.url, timeout: o.timeoutMs, connectTimeout: o.timeoutMs, ...(secure ? { tlsOptions: tlsOptions() } : {}) });
  try {
    if (o.startTls) await client.startTLS(tlsOptions());
    if (o.bindDn) await client.bind(o.bindDn, o.bindPassword ?? '');
    const m = o.mapping;
    const attributes = [...m.uri, ...Object.values(m.profile), ...[m.ha1Md5, m.ha1Sha256, m.pool].filter((a): a is string => a !== undefined)];
    const { searchEntries } = await client.search(o.baseDn, { scope: 'sub', filter: o.filter, attributes, paged: { pageSize: 500 } });
    const users: UserEntry[] = [];
    const skipped: string[] = [];
    for (const e of searchEntries) {
      const u = userOfEntry(e, o);
      if (typeof u === 'string') skipped.push(u);
      else users.push(u);
    }
    return { users, skipped };
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

/**
 * Keeps a directory in step with LDAP: reads every user at start and every `refreshMs`. The users
 * read last are the cache: a directory that does not answer keeps them, with one warning line.
 */
export function pollLdap(directory: UserDirectory, o: LdapOptions, logger: Logger, refreshMs: number): { first: Promise<void>; stop: () => void } {
  let busy = false;
  let reported = new Set<string>();
  const load = async () => {
    if (busy) return;
    busy = true;
    try {
      const { users, skipped } = await readLdapUsers(o);
      // Each entry that is not a user is said once, not at every refresh.
      for (const s of skipped) if (!reported.has(s)) logger.warn({ entry: s }, `LDAP entry skipped: ${s}`);
      reported = new Set(skipped);
      const change = directory.replace(users);
      if (change.added.length + change.removed.length > 0) logger.info({ users: directory.size, added: change.added.length, removed: change.removed.length }, 'LDAP directory read');
    } catch (e) {
      // ldapts names the LDAP result by its class (InvalidCredentialsError); its message is only the code.
      const why = `${(e as Error).constructor.name}:${(e as Error).message}`;
      logger.warn({ err: why, url: o.url }, `LDAP directory not readable (${why}); keeping the users last read`);
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void load(), refreshMs);
  timer.unref();
  return { first: load(), stop: () => clearInterval(timer) };
}
