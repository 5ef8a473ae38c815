import { readFileSync, stat, statSync, type Stats } from 'node:fs';
import { ConfigError, type Logger } from '@presence/telemetry';
import { normalizeAor, PROFILE, type Ha1Values, type UserEntry, type UserDirectory } from './directory.js';

const HEX = /^[0-9a-f]+$/i;

/** Reads `{"MD5": "<32 hex>", "SHA-256": "<64 hex>"}`; a message when the shape is wrong. */
function readHa1(v: unknown, where: string): Ha1Values | string {
  if (typeof v !== 'object' || v === null) return `${where} must be {"MD5": "<hex>", "SHA-256": "<hex>"}`;
  const { MD5, 'SHA-256': sha } = v as Record<string, unknown>;
  if (MD5 !== undefined && (typeof MD5 !== 'string' || MD5.length !== 32 || !HEX.test(MD5))) return `${where}.MD5 must be 32 hex digits`;
  if (sha !== undefined && (typeof sha !== 'string' || sha.length !== 64 || !HEX.test(sha))) return `${where}.SHA-256 must be 64 hex digits`;
  return { ...(MD5 !== undefined ? { MD5: (MD5 as string).toLowerCase() } : {}), ...(sha !== undefined ? { 'SHA-256': (sha as string).toLowerCase() } : {}) };
}

/** A user outside the served domains could never be reached: refused with a line naming both. */
export function outsideDomains(aor: string, domains: readonly string[]): string | undefined {
  const host = aor.slice(aor.lastIndexOf('@') + 1);
  return domains.some((d) => d.toLowerCase() === host) ? undefined : `${aor} is not in PRESENCE_DOMAINS (${domains.join(', ')})`;
}

/**
 * Reads `{"users":[{"uri":"sip:alice@contoso.com","password":"...","displayName":"Alice"}]}`
 * (a clear `password`, development only, or `ha1`/`ha1b` HA1 values; `"disabled": true` keeps an
 * entry without letting it sign in). Any problem is a ConfigError naming the file and the entry.
 */
export function readUsersFile(path: string, domains?: readonly string[]): UserEntry[] {
  const bad = (why: string) => new ConfigError('PRESENCE_USERS_FILE', `Invalid users file PRESENCE_USERS_FILE=${JSON.stringify(path)}: ${why}`);
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw bad((e as Error).message.split('\n')[0]!);
  }
  const list = (doc as { users?: unknown }).users;
  if (!Array.isArray(list)) throw bad('expected {"users": [...]}');
  const users: UserEntry[] = [];
  list.forEach((u: unknown, i) => {
    const entry = (u ?? {}) as Record<string, unknown>;
    const { uri, password, pool, disabled } = entry;
    const aor = typeof uri === 'string' ? normalizeAor(uri) : undefined;
    if (aor === undefined) throw bad(`users[${i}].uri must be a sip: URI with a user part`);
    const outside = domains && outsideDomains(aor, domains);
    if (outside) throw bad(`users[${i}]: ${outside}`);
    if (password !== undefined && (typeof password !== 'string' || password === '')) throw bad(`users[${i}].password must be a non-empty string`);
    const secrets: { ha1?: Ha1Values; ha1b?: Ha1Values } = {};
    for (const k of ['ha1', 'ha1b'] as const) {
      if (entry[k] === undefined) continue;
      const h = readHa1(entry[k], `users[${i}].${k}`);
      if (typeof h === 'string') throw bad(h);
      secrets[k] = h;
    }
    if (password === undefined && !secrets.ha1 && !secrets.ha1b) throw bad(`users[${i}].password must be a non-empty string (or give ha1/ha1b)`);
    if (pool !== undefined && (typeof pool !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(pool))) throw bad(`users[${i}].pool must be a pool id`);
    if (disabled !== undefined && typeof disabled !== 'boolean') throw bad(`users[${i}].disabled must be true or false`);
    const profile: Record<string, string> = {};
    for (const k of PROFILE) {
      const v = entry[k];
      if (v === undefined) continue;
      if (typeof v !== 'string') throw bad(`users[${i}].${k} must be a string`);
      profile[k] = v;
    }
    if (disabled === true) return;
    users.push({ ...profile, aor, ...(password !== undefined ? { password: password as string } : {}), ...secrets, ...(pool !== undefined ? { pool: pool as string } : {}) });
  });
  return users;
}

/** What tells one version of the file from the next: a rename-and-replace changes the inode, an edit the size or times. */
function versionOf(st: Stats | undefined): string {
  return st === undefined ? 'missing' : `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
}

/**
 * Keeps the directory in step with the users file: re-read when the file changes (polled, so an
 * editor's rename-and-replace is seen too) and on SIGHUP. A file that no longer reads keeps the
 * users of the last good one, with one error line.
 *
 * Polled here rather than with `fs.watchFile`: that takes its first look at the file later, on the
 * thread pool, and a write landing before it was never seen (a CI run caught it). Here the first
 * look is taken now and the file read once more after it, so every write is either in that read or
 * changes what a later poll sees.
 */
export function watchUsersFile(directory: UserDirectory, path: string, domains: readonly string[], logger: Logger, intervalMs: number): () => void {
  const reload = (why: string, quietIfSame = false) => {
    try {
      const change = directory.replace(readUsersFile(path, domains));
      if (quietIfSame && change.added.length === 0 && change.removed.length === 0) return;
      logger.info({ path, why, users: directory.size, added: change.added.length, removed: change.removed.length }, 'users file reloaded');
    } catch (e) {
      logger.error({ path, why, err: (e as Error).message }, `users file not reloaded, keeping the previous users: ${(e as Error).message}`);
    }
  };
  const statNow = (): Stats | undefined => {
    try {
      return statSync(path);
    } catch {
      return undefined;
    }
  };
  let seen = versionOf(statNow());
  reload('watch started', true);
  let polling = false;
  const timer = setInterval(() => {
    if (polling) return;
    polling = true;
    stat(path, (err, st) => {
      polling = false;
      const now = versionOf(err ? undefined : st);
      if (now === seen) return;
      seen = now;
      reload('changed');
    });
  }, intervalMs);
  timer.unref();
  const onHup = () => reload('SIGHUP');
  process.on('SIGHUP', onHup);
  return () => {
    clearInterval(timer);
    process.off('SIGHUP', onHup);
  };
}
