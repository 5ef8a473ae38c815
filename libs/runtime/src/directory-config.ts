import { readFileSync } from 'node:fs';
import type { Store } from '@presence/state';
import { ConfigError, env, loadConfig, type ConfigOf, type Logger } from '@presence/telemetry';
import { DEV_USERS_FILE, PROFILE, UserDirectory, type ProfileField } from './directory.js';
import { readUsersFile, watchUsersFile } from './directory-file.js';
import { DEFAULT_LDAP_PROFILE, pollLdap, type LdapOptions } from './directory-ldap.js';
import { pollUserStore, UserStore } from './directory-store.js';

/** The directory's settings. README's "Users and directory" section lists these. */
export const directoryEnv = {
  PRESENCE_DIRECTORY: env.optionalString({ doc: '`file`, `store` or `ldap`. Unset: `file` when PRESENCE_USERS_FILE is set or in embedded mode, else no directory.' }),
  PRESENCE_DIRECTORY_REFRESH_MS: env.int({ default: 500, min: 50, max: 3_600_000, doc: 'How often the users file (file) or the store’s revision (store) is checked for changes.' }),
  PRESENCE_DIRECTORY_NAMESPACE: env.string({ default: 'users', pattern: /^[A-Za-z0-9_-]{1,64}$/, patternText: 'letters, digits, - and _', doc: 'Names the store’s user partition, so deployments sharing one Redis keep their users apart.' }),
  PRESENCE_LDAP_URL: env.optionalString({ doc: '`ldap://host:389` or `ldaps://host:636` (required with `ldap`).' }),
  PRESENCE_LDAP_STARTTLS: env.bool({ default: false, doc: 'Upgrade an `ldap://` connection with StartTLS before binding.' }),
  PRESENCE_LDAP_CA_FILE: env.optionalString({ doc: 'PEM CA certificate(s) the LDAP server’s certificate is checked against (ldaps:// and StartTLS). Unset: the system CAs.' }),
  PRESENCE_LDAP_BIND_DN: env.optionalString({ doc: 'DN (or AD user principal name) to bind as. Unset: anonymous.' }),
  PRESENCE_LDAP_BIND_PASSWORD: env.optionalString({ doc: 'Password of PRESENCE_LDAP_BIND_DN.' }),
  PRESENCE_LDAP_BIND_PASSWORD_FILE: env.optionalString({ doc: 'File holding PRESENCE_LDAP_BIND_PASSWORD (a mounted secret); read when it is unset.' }),
  PRESENCE_LDAP_BASE_DN: env.optionalString({ doc: 'Where users are searched (subtree), e.g. `OU=Staff,DC=contoso,DC=com` (required with `ldap`).' }),
  PRESENCE_LDAP_FILTER: env.string({ default: '(objectClass=person)', doc: 'LDAP filter selecting the users who may sign in (RFC 4515).' }),
  PRESENCE_LDAP_URI_ATTRIBUTES: env.list({ default: ['msRTCSIP-PrimaryUserAddress', 'mail'], doc: 'Attributes holding the SIP address, tried in order; a value without `sip:` (mail) gets it.' }),
  PRESENCE_LDAP_ATTRIBUTES: env.list({ default: [], item: /^[A-Za-z]+=[A-Za-z0-9;-]+$/, itemText: 'field=attribute pairs', doc: 'Overrides of the attribute mapping, e.g. `office=roomNumber,phone=mobile` (fields: displayName, givenName, surname, title, office, phone, company, city, state, country, email).' }),
  PRESENCE_LDAP_HA1_ATTRIBUTE: env.optionalString({ doc: 'Attribute holding the MD5 HA1 (hex of MD5(user:realm:password)) for digest sign-in.' }),
  PRESENCE_LDAP_HA1_SHA256_ATTRIBUTE: env.optionalString({ doc: 'Attribute holding the SHA-256 HA1 (hex) for digest sign-in.' }),
  PRESENCE_LDAP_POOL_ATTRIBUTE: env.optionalString({ doc: 'Attribute holding the user’s home pool id. Unset: pools are assigned by hashing.' }),
  PRESENCE_LDAP_REFRESH_MS: env.int({ default: 60_000, min: 100, max: 86_400_000, doc: 'How often every user is read again from LDAP (new, changed and removed users take effect).' }),
  PRESENCE_LDAP_TIMEOUT_MS: env.int({ default: 10_000, min: 100, max: 600_000, doc: 'Connect and operation timeout towards LDAP.' }),
};

export type DirectoryConfig = ConfigOf<typeof directoryEnv>;
export type DirectoryKind = 'file' | 'store' | 'ldap';

const missing = (name: string, kind: string) => new ConfigError(name, `Missing environment variable ${name}: required with PRESENCE_DIRECTORY=${kind}`);

/** The attribute mapping: AD's names, with PRESENCE_LDAP_ATTRIBUTES' overrides. */
function ldapOptions(c: DirectoryConfig, domains: readonly string[]): LdapOptions {
  if (!c.PRESENCE_LDAP_URL) throw missing('PRESENCE_LDAP_URL', 'ldap');
  if (!/^ldaps?:\/\//i.test(c.PRESENCE_LDAP_URL)) throw new ConfigError('PRESENCE_LDAP_URL', `Invalid environment variable PRESENCE_LDAP_URL=${JSON.stringify(c.PRESENCE_LDAP_URL)}: expected ldap:// or ldaps://`);
  if (!c.PRESENCE_LDAP_BASE_DN) throw missing('PRESENCE_LDAP_BASE_DN', 'ldap');
  const profile: Partial<Record<ProfileField, string>> = { ...DEFAULT_LDAP_PROFILE };
  for (const pair of c.PRESENCE_LDAP_ATTRIBUTES) {
    const [field, attr] = pair.split('=') as [string, string];
    if (!(PROFILE as readonly string[]).includes(field)) throw new ConfigError('PRESENCE_LDAP_ATTRIBUTES', `Invalid environment variable PRESENCE_LDAP_ATTRIBUTES: unknown field ${field} (expected one of ${PROFILE.join(', ')})`);
    profile[field as ProfileField] = attr;
  }
  let bindPassword = c.PRESENCE_LDAP_BIND_PASSWORD;
  if (bindPassword === undefined && c.PRESENCE_LDAP_BIND_PASSWORD_FILE) {
    try {
      bindPassword = readFileSync(c.PRESENCE_LDAP_BIND_PASSWORD_FILE, 'utf8').trim();
    } catch (e) {
      throw new ConfigError('PRESENCE_LDAP_BIND_PASSWORD_FILE', `Invalid environment variable PRESENCE_LDAP_BIND_PASSWORD_FILE: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  return {
    url: c.PRESENCE_LDAP_URL,
    startTls: c.PRESENCE_LDAP_STARTTLS,
    ...(c.PRESENCE_LDAP_CA_FILE ? { caFile: c.PRESENCE_LDAP_CA_FILE } : {}),
    ...(c.PRESENCE_LDAP_BIND_DN ? { bindDn: c.PRESENCE_LDAP_BIND_DN } : {}),
    ...(bindPassword !== undefined ? { bindPassword } : {}),
    baseDn: c.PRESENCE_LDAP_BASE_DN,
    filter: c.PRESENCE_LDAP_FILTER,
    mapping: {
      uri: c.PRESENCE_LDAP_URI_ATTRIBUTES,
      profile,
      ...(c.PRESENCE_LDAP_HA1_ATTRIBUTE ? { ha1Md5: c.PRESENCE_LDAP_HA1_ATTRIBUTE } : {}),
      ...(c.PRESENCE_LDAP_HA1_SHA256_ATTRIBUTE ? { ha1Sha256: c.PRESENCE_LDAP_HA1_SHA256_ATTRIBUTE } : {}),
      ...(c.PRESENCE_LDAP_POOL_ATTRIBUTE ? { pool: c.PRESENCE_LDAP_POOL_ATTRIBUTE } : {}),
    },
    domains,
    timeoutMs: c.PRESENCE_LDAP_TIMEOUT_MS,
  };
}

/** A process's directory: the users (read at once for `file`), and how to start and stop its back end. */
export interface OpenedDirectory {
  readonly kind: DirectoryKind | undefined;
  readonly directory: UserDirectory | undefined;
  /** The users file read (`file`). */
  readonly file: string | undefined;
  /** The managed store (`store`): what /admin/users writes to. Needs the process's store, so it comes once that exists. */
  users(): UserStore | undefined;
  /** Starts following the back end; resolves once the first read is done (`store`, `ldap`). */
  start(store: Store): Promise<void>;
}

export interface OpenDirectoryOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly mode: 'embedded' | 'clustered';
  readonly domains: readonly string[];
  readonly logger: Logger;
}

/** The users file a process reads (PRESENCE_DIRECTORY=file), for its start-up line. */
export function usersFileOf(e: NodeJS.ProcessEnv, mode: 'embedded' | 'clustered'): string | undefined {
  const kind = e.PRESENCE_DIRECTORY?.trim() || undefined;
  const file = e.PRESENCE_USERS_FILE?.trim() || undefined;
  if (kind !== undefined && kind !== 'file') return undefined;
  return file ?? (kind === 'file' || mode === 'embedded' ? DEV_USERS_FILE : undefined);
}

/**
 * Chooses and opens the back end: PRESENCE_DIRECTORY, else the users file when one is given (or the
 * development accounts in embedded mode), else none (a clustered process without a directory).
 */
export function openDirectory(o: OpenDirectoryOptions): OpenedDirectory {
  const c = loadConfig(directoryEnv, o.env);
  const file = usersFileOf(o.env, o.mode);
  const chosen = c.PRESENCE_DIRECTORY ?? (file !== undefined ? 'file' : undefined);
  if (chosen !== undefined && chosen !== 'file' && chosen !== 'store' && chosen !== 'ldap') {
    throw new ConfigError('PRESENCE_DIRECTORY', `Invalid environment variable PRESENCE_DIRECTORY=${JSON.stringify(chosen)}: expected one of file, store, ldap`);
  }
  const log = o.logger.child({ component: 'directory', directory: chosen });
  const realm = o.domains[0]!;
  if (chosen === 'file') {
    const path = file!;
    const directory = new UserDirectory(readUsersFile(path, o.domains));
    return {
      kind: chosen,
      directory,
      file: path,
      users: () => undefined,
      start: async () => directory.attach(watchUsersFile(directory, path, o.domains, log, c.PRESENCE_DIRECTORY_REFRESH_MS)),
    };
  }
  if (chosen === 'store') {
    const directory = new UserDirectory();
    let users: UserStore | undefined;
    return {
      kind: chosen,
      directory,
      file: undefined,
      users: () => users,
      start: async (store) => {
        users = new UserStore({ store, realm, domains: o.domains, namespace: c.PRESENCE_DIRECTORY_NAMESPACE });
        const poll = pollUserStore(directory, users, log, c.PRESENCE_DIRECTORY_REFRESH_MS);
        directory.attach(poll.stop);
        await poll.first;
      },
    };
  }
  if (chosen === 'ldap') {
    const options = ldapOptions(c, o.domains);
    const directory = new UserDirectory();
    return {
      kind: chosen,
      directory,
      file: undefined,
      users: () => undefined,
      start: async () => {
        const poll = pollLdap(directory, options, log, c.PRESENCE_LDAP_REFRESH_MS);
        directory.attach(poll.stop);
        await poll.first;
      },
    };
  }
  return { kind: undefined, directory: undefined, file: undefined, users: () => undefined, start: async () => undefined };
}
