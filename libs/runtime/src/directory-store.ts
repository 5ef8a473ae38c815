import { digestHa1 } from '@presence/sip';
import type { Change, Partition, Store } from '@presence/state';
import type { Logger } from '@presence/telemetry';
import { PROFILE, type Ha1Values, type ProfileField, type UserDirectory, type UserEntry } from './directory.js';
import { outsideDomains } from './directory-file.js';

/** A managed user as stored: profile, home pool, enabled flag and HA1 values only, never a password. */
export interface StoredUser extends Partial<Record<ProfileField, string>> {
  readonly aor: string;
  readonly pool?: string;
  readonly disabled: boolean;
  readonly ha1?: Ha1Values;
  readonly ha1b?: Ha1Values;
  readonly updatedAt: string;
}

/** What the admin API shows of a user: everything but the HA1 values. */
export type UserView = Omit<StoredUser, 'ha1' | 'ha1b'> & { readonly hasPassword: boolean };

const USERS = 'dirusers';
const META = 'dirmeta';
const REVISION = 'revision';

/** Why a managed-user change was refused; `status` is what the admin API answers. */
export class UserStoreError extends Error {
  constructor(
    readonly status: 400 | 404 | 409,
    message: string,
  ) {
    super(message);
  }
}

export const viewOf = ({ ha1, ha1b, ...rest }: StoredUser): UserView => ({ ...rest, hasPassword: ha1 !== undefined || ha1b !== undefined });

/** The directory entry of a stored user: undefined while disabled. */
export function entryOf(u: StoredUser): UserEntry | undefined {
  if (u.disabled) return undefined;
  const { disabled: _d, updatedAt: _u, ...entry } = u;
  return entry;
}

/** HA1 for both username forms (`alice` and `alice@contoso.com`) and both algorithms. */
export function ha1For(aor: string, realm: string, password: string): { ha1: Ha1Values; ha1b: Ha1Values } {
  const userAtHost = aor.replace(/^sip:/, '');
  const user = userAtHost.slice(0, userAtHost.lastIndexOf('@'));
  const both = (name: string) => ({ MD5: digestHa1('MD5', name, realm, password), 'SHA-256': digestHa1('SHA-256', name, realm, password) });
  return { ha1: both(user), ha1b: both(userAtHost) };
}

/** The profile fields of an admin request body, checked; a message when one is not a string. */
export function readProfile(body: Record<string, unknown>): Partial<Record<ProfileField, string>> | string {
  const out: Partial<Record<ProfileField, string>> = {};
  for (const k of PROFILE) {
    const v = body[k];
    if (v === undefined) continue;
    if (typeof v !== 'string' || v.length > 256) return `${k} must be a string of at most 256 characters`;
    out[k] = v;
  }
  return out;
}

export interface UserStoreOptions {
  readonly store: Store;
  /** The digest realm the HA1 values are computed for (the edge's realm: the first domain). */
  readonly realm: string;
  readonly domains: readonly string[];
  /** Names the partition, so that deployments (and tests) sharing one Redis keep their users apart. */
  readonly namespace: string;
}

/**
 * The managed user store: users as records of one partition of their own, each change made
 * together with a revision record, so that every process notices a change by reading that one
 * record ({@link pollUserStore}) instead of the whole list.
 */
export class UserStore {
  readonly partition: Partition;

  constructor(private readonly o: UserStoreOptions) {
    this.partition = { pool: '_directory', user: o.namespace };
  }

  async revision(): Promise<number> {
    return (await this.o.store.get(this.partition, META, REVISION))?.version ?? 0;
  }

  async all(): Promise<StoredUser[]> {
    const records = await this.o.store.list<StoredUser>(this.partition, USERS);
    return records.map((r) => r.value).sort((a, b) => (a.aor < b.aor ? -1 : a.aor > b.aor ? 1 : 0));
  }

  async get(aor: string): Promise<StoredUser | undefined> {
    return (await this.o.store.get<StoredUser>(this.partition, USERS, aor))?.value;
  }

  /** A page of users in address order. */
  async list(offset: number, limit: number): Promise<{ users: UserView[]; total: number }> {
    const all = await this.all();
    return { users: all.slice(offset, offset + limit).map(viewOf), total: all.length };
  }

  async create(aor: string, fields: { profile: Partial<Record<ProfileField, string>>; pool?: string; password?: string; disabled?: boolean }): Promise<StoredUser> {
    const outside = outsideDomains(aor, this.o.domains);
    if (outside) throw new UserStoreError(400, outside);
    const user: StoredUser = {
      ...fields.profile,
      aor,
      ...(fields.pool !== undefined ? { pool: fields.pool } : {}),
      disabled: fields.disabled ?? false,
      ...(fields.password !== undefined ? ha1For(aor, this.o.realm, fields.password) : {}),
      updatedAt: new Date().toISOString(),
    };
    await this.write(aor, user, 0, () => new UserStoreError(409, `${aor} already exists`));
    return user;
  }

  /** Changes a user with `edit` (read, change, write with the version read; retried on a race). */
  async update(aor: string, edit: (u: StoredUser) => StoredUser): Promise<StoredUser> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const rec = await this.o.store.get<StoredUser>(this.partition, USERS, aor);
      if (!rec) throw new UserStoreError(404, `${aor} is not a user`);
      const next = { ...edit(rec.value), aor, updatedAt: new Date().toISOString() };
      if (await this.write(aor, next, rec.version)) return next;
    }
    throw new UserStoreError(409, `${aor} is being changed by someone else; try again`);
  }

  setPassword(aor: string, password: string): Promise<StoredUser> {
    return this.update(aor, (u) => ({ ...u, ...ha1For(aor, this.o.realm, password) }));
  }

  async delete(aor: string): Promise<void> {
    const r = await this.o.store.apply(this.partition, [{ op: 'delete', collection: USERS, id: aor }, this.bump()]);
    if (!r.ok) throw new UserStoreError(409, `${aor} is being changed by someone else; try again`);
  }

  private bump(): Change {
    return { op: 'put', collection: META, id: REVISION, value: { at: Date.now() } };
  }

  /** Writes a user expecting `version`; false on a version race (or throws `conflict()` when given). */
  private async write(aor: string, user: StoredUser, version: number, conflict?: () => Error): Promise<boolean> {
    const r = await this.o.store.apply(this.partition, [{ op: 'put', collection: USERS, id: aor, value: user, expect: version }, this.bump()]);
    if (!r.ok && conflict) throw conflict();
    return r.ok;
  }
}

/**
 * Keeps a directory in step with the user store: reads the revision record every `intervalMs` and
 * the users only when it moved. A store that does not answer keeps the users last read. `first`
 * resolves once the users are read, or after `firstWithinMs` (Redis still connecting: the process
 * starts, /readyz says what is missing, and the timer reads them as soon as it answers).
 */
export function pollUserStore(directory: UserDirectory, users: UserStore, logger: Logger, intervalMs: number, firstWithinMs = 5000): { first: Promise<void>; stop: () => void } {
  let seen = -1;
  let busy = false;
  /** Whether the directory is in step with the store after this call. */
  let starting = true;
  const load = async (): Promise<boolean> => {
    if (busy) return false;
    busy = true;
    try {
      const rev = await users.revision();
      if (rev === seen) return true;
      const entries = (await users.all()).map(entryOf).filter((e): e is UserEntry => e !== undefined);
      // A write between the two reads: this list may predate a change this process already shows
      // (an admin call it took); the next tick reads again rather than undo it for a moment.
      if ((await users.revision()) !== rev) return false;
      seen = rev;
      const change = directory.replace(entries);
      if (change.added.length + change.removed.length > 0) logger.info({ users: directory.size, added: change.added.length, removed: change.removed.length }, 'user store reloaded');
      return true;
    } catch (e) {
      // While starting, the store may still be connecting: one line at the end of `first`, not one per try.
      if (!starting) logger.warn({ err: (e as Error).message }, 'user store not readable; keeping the users last read');
      return false;
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void load(), intervalMs);
  timer.unref();
  const first = async () => {
    let ok = false;
    for (const until = Date.now() + firstWithinMs; !(ok = await load()) && Date.now() < until; ) await new Promise((r) => setTimeout(r, 50));
    starting = false;
    if (!ok) logger.warn({ withinMs: firstWithinMs }, 'user store not readable at start; no user can sign in until it is');
  };
  return { first: first(), stop: () => clearInterval(timer) };
}
