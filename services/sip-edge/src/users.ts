import { readFileSync } from 'node:fs';
import { addressOfRecord, parseUri } from '@presence/sip';
import { ConfigError } from '@presence/telemetry';

export interface UserEntry {
  /** Address of record, `sip:alice@contoso.com`. */
  readonly aor: string;
  readonly password: string;
  readonly displayName?: string;
}

/** The user directory: who may sign in, with what password. */
export class UserDirectory {
  private readonly byAor: Map<string, UserEntry>;

  constructor(users: readonly UserEntry[]) {
    this.byAor = new Map(users.map((u) => [u.aor, u]));
  }

  get(aor: string): UserEntry | undefined {
    return this.byAor.get(aor);
  }

  get size(): number {
    return this.byAor.size;
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
      const { uri, password, displayName } = (u ?? {}) as Record<string, unknown>;
      const parsed = typeof uri === 'string' ? parseUri(uri) : undefined;
      if (!parsed?.ok || parsed.value.user === undefined) throw bad(`users[${i}].uri must be a sip: URI with a user part`);
      if (typeof password !== 'string' || password === '') throw bad(`users[${i}].password must be a non-empty string`);
      if (displayName !== undefined && typeof displayName !== 'string') throw bad(`users[${i}].displayName must be a string`);
      return { aor: addressOfRecord(parsed.value), password, ...(displayName !== undefined ? { displayName } : {}) };
    });
    return new UserDirectory(users);
  }
}
