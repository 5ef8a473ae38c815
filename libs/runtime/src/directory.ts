import { fileURLToPath } from 'node:url';
import type { DirectoryPerson } from '@presence/presence';
import { readUsersFile } from './directory-file.js';

/** The development accounts `npm start` uses when PRESENCE_USERS_FILE is unset. */
export const DEV_USERS_FILE = fileURLToPath(new URL('../../../config/dev-users.json', import.meta.url));

/** `sip:user@host` with the host lower-cased, or undefined when `uri` is not a sip URI with a user. */
export function normalizeAor(uri: string): string | undefined {
  const m = /^sips?:([^@;?\s]+)@([A-Za-z0-9.-]+)(?::\d+)?(?:[;?].*)?$/i.exec(uri.trim());
  if (!m) return undefined;
  try {
    return `sip:${decodeURIComponent(m[1]!)}@${m[2]!.toLowerCase()}`;
  } catch {
    return undefined; // a malformed %-escape: not a URI (issue 12 item 9)
  }
}

/** Digest HA1 values of one username form, per algorithm (RFC 7616 §3.4.2: H(username:realm:password)). */
export interface Ha1Values {
  readonly MD5?: string;
  readonly 'SHA-256'?: string;
}

/**
 * A user's digest secret: the clear password (the development users file only), or HA1 values
 * computed for the deployment's realm: `ha1` for the username `alice`, `ha1b` for
 * `alice@contoso.com` (clients send either; the two names follow Kamailio's subscriber table).
 */
export interface Credentials {
  readonly password?: string;
  readonly ha1?: Ha1Values;
  readonly ha1b?: Ha1Values;
}

/** A user of the directory: the sign-in account and what directory search shows of them ([MS-PRES] §3.1, §8.2). */
export interface UserEntry extends Omit<DirectoryPerson, 'uri'>, Credentials {
  /** Address of record, `sip:alice@contoso.com`. */
  readonly aor: string;
  /** The pool the user is homed in, when assigned explicitly. */
  readonly pool?: string;
}

/** The optional text attributes of a user, besides the address. */
export const PROFILE = ['displayName', 'givenName', 'surname', 'title', 'office', 'phone', 'company', 'city', 'state', 'country', 'email'] as const;
export type ProfileField = (typeof PROFILE)[number];

/** What one reload changed: users who can no longer sign in (deleted or disabled), and new ones. */
export interface DirectoryChange {
  readonly removed: readonly string[];
  readonly added: readonly string[];
}

/**
 * The directory port every service reads users through: the enabled users of the deployment, kept
 * in memory so that lookups on the request path never wait. A back end (users file, managed store,
 * LDAP) fills it with {@link UserDirectory.replace} at start and whenever its source changes; a
 * user it no longer lists (deleted or disabled) is announced to {@link onChange} listeners, so the
 * edge can sign them out.
 */
export class UserDirectory {
  private byAor: Map<string, UserEntry>;
  private readonly listeners = new Set<(c: DirectoryChange) => void>();
  private stopSource: () => void = () => undefined;

  constructor(users: readonly UserEntry[] = []) {
    this.byAor = new Map(users.map((u) => [u.aor, u]));
  }

  /** A directory of the users file's users, read once (tests; processes use {@link openDirectory}). */
  static fromFile(path: string, domains?: readonly string[]): UserDirectory {
    return new UserDirectory(readUsersFile(path, domains));
  }

  /** The enabled user with this address (any `sip:`/`sips:` spelling), or undefined. */
  get(aor: string): UserEntry | undefined {
    const key = normalizeAor(aor);
    return key === undefined ? undefined : this.byAor.get(key);
  }

  get size(): number {
    return this.byAor.size;
  }

  /** Every enabled user, for directory search. */
  entries(): IterableIterator<UserEntry> {
    return this.byAor.values();
  }

  /** Replaces every user at once; returns (and tells listeners) who left and who came. */
  replace(users: readonly UserEntry[]): DirectoryChange {
    const next = new Map(users.map((u) => [u.aor, u]));
    const removed = [...this.byAor.keys()].filter((a) => !next.has(a));
    const added = [...next.keys()].filter((a) => !this.byAor.has(a));
    this.byAor = next;
    const change = { removed, added };
    if (removed.length + added.length > 0) for (const l of this.listeners) l(change);
    return change;
  }

  /** Adds or replaces one user (or removes them with `undefined`): a local write seen at once. */
  set(aor: string, user: UserEntry | undefined): void {
    const had = this.byAor.has(aor);
    if (user) this.byAor.set(aor, user);
    else this.byAor.delete(aor);
    const change = { removed: had && !user ? [aor] : [], added: !had && user ? [aor] : [] };
    if (change.removed.length + change.added.length > 0) for (const l of this.listeners) l(change);
  }

  onChange(listener: (c: DirectoryChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Ties the back end's watcher (timer, file watch, connection) to this directory's life. */
  attach(stop: () => void): void {
    this.stopSource = stop;
  }

  close(): void {
    this.stopSource();
    this.stopSource = () => undefined;
    this.listeners.clear();
  }
}
