import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DirectoryPerson } from '@presence/presence';
import { ConfigError } from '@presence/telemetry';

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

/** A user of the users file: the sign-in account and what directory search shows of them ([MS-PRES] §3.1, §8.2). */
export interface UserEntry extends Omit<DirectoryPerson, 'uri'> {
  /** Address of record, `sip:alice@contoso.com`. */
  readonly aor: string;
  readonly password: string;
  /** The pool the user is homed in, when assigned explicitly. */
  readonly pool?: string;
}

/** The optional text attributes of a users file entry, besides displayName and email. */
const PROFILE = ['givenName', 'surname', 'title', 'office', 'phone', 'company', 'city', 'state', 'country'] as const;

/** The user directory: who may sign in, with what password. */
export class UserDirectory {
  private readonly byAor: Map<string, UserEntry>;

  constructor(users: readonly UserEntry[]) {
    this.byAor = new Map(users.map((u) => [u.aor, u]));
  }

  get(aor: string): UserEntry | undefined {
    const key = normalizeAor(aor);
    return key === undefined ? undefined : this.byAor.get(key);
  }

  get size(): number {
    return this.byAor.size;
  }

  /** Every user, for directory search. */
  entries(): IterableIterator<UserEntry> {
    return this.byAor.values();
  }

  /**
   * Reads `{"users":[{"uri":"sip:alice@contoso.com","password":"...","displayName":"Alice"}]}`.
   * Any problem is a ConfigError naming the file and the entry, so start-up stops with one line.
   */
  static fromFile(path: string): UserDirectory {
    const bad = (why: string) => new ConfigError('PRESENCE_USERS_FILE', `Invalid users file PRESENCE_USERS_FILE=${JSON.stringify(path)}: ${why}`);
    let doc: unknown;
    try {
      doc = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      throw bad((e as Error).message.split('\n')[0]!);
    }
    const list = (doc as { users?: unknown }).users;
    if (!Array.isArray(list)) throw bad('expected {"users": [...]}');
    const users = list.map((u: unknown, i) => {
      const entry = (u ?? {}) as Record<string, unknown>;
      const { uri, password, displayName, email, pool } = entry;
      const aor = typeof uri === 'string' ? normalizeAor(uri) : undefined;
      if (aor === undefined) throw bad(`users[${i}].uri must be a sip: URI with a user part`);
      if (typeof password !== 'string' || password === '') throw bad(`users[${i}].password must be a non-empty string`);
      if (displayName !== undefined && typeof displayName !== 'string') throw bad(`users[${i}].displayName must be a string`);
      if (email !== undefined && typeof email !== 'string') throw bad(`users[${i}].email must be a string`);
      if (pool !== undefined && (typeof pool !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(pool))) throw bad(`users[${i}].pool must be a pool id`);
      const profile: Record<string, string> = {};
      for (const k of PROFILE) {
        const v = entry[k];
        if (v === undefined) continue;
        if (typeof v !== 'string') throw bad(`users[${i}].${k} must be a string`);
        profile[k] = v;
      }
      return {
        ...profile,
        aor,
        password,
        ...(displayName !== undefined ? { displayName } : {}),
        ...(email !== undefined ? { email } : {}),
        ...(pool !== undefined ? { pool: pool as string } : {}),
      };
    });
    return new UserDirectory(users);
  }
}

/**
 * The directory a process uses: PRESENCE_USERS_FILE, or in embedded mode the development accounts.
 * Undefined in clustered mode without a file.
 */
export function loadDirectory(env: NodeJS.ProcessEnv, mode: 'embedded' | 'clustered'): { directory: UserDirectory | undefined; file: string | undefined } {
  const file = env.PRESENCE_USERS_FILE?.trim() || (mode === 'embedded' ? DEV_USERS_FILE : undefined);
  return { directory: file === undefined ? undefined : UserDirectory.fromFile(file), file };
}
