import { readFileSync } from 'node:fs';
import { ConfigError, type Logger } from '@presence/telemetry';
import { loadDirectory, UserDirectory } from './directory.js';

const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/**
 * A user directory whose contents SIGHUP can replace: every holder (authenticator, pools,
 * directory search) keeps the same object, and each call goes to the latest file's contents.
 * A file that no longer parses leaves the previous users in place.
 */
export class ReloadableDirectory {
  private current: UserDirectory;
  /** The object to hand to services: a UserDirectory that always reads {@link current}. */
  readonly view: UserDirectory;

  constructor(initial: UserDirectory) {
    this.current = initial;
    this.view = new Proxy(Object.create(UserDirectory.prototype) as UserDirectory, {
      get: (_target, key) => {
        const value: unknown = Reflect.get(this.current, key, this.current);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(this.current) : value;
      },
    });
  }

  /** Reads the users file again; throws (a ConfigError naming the file) and keeps the old users if it is bad. */
  reload(env: NodeJS.ProcessEnv, mode: 'embedded' | 'clustered'): number {
    const { directory } = loadDirectory(env, mode);
    if (directory) this.current = directory;
    return this.current.size;
  }
}

/** The log level LOG_LEVEL_FILE names (one word), or undefined when unset; throws a ConfigError on a bad level. */
export function readLogLevel(file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  const level = readFileSync(file, 'utf8').trim();
  if (!LEVELS.has(level)) {
    throw new ConfigError('LOG_LEVEL_FILE', `Invalid LOG_LEVEL_FILE=${JSON.stringify(file)}: holds ${JSON.stringify(level.slice(0, 40))}, expected one of ${[...LEVELS].join(', ')}`);
  }
  return level;
}

/**
 * SIGHUP: reloads what can change without a restart — the users file and the log level of
 * LOG_LEVEL_FILE — and then each service's own reload (the edge's TLS certificate). Connections
 * and dialogs stay up; a failure is logged and the previous settings stay.
 */
export async function reloadOnHangup(opts: {
  logger: Logger;
  env: NodeJS.ProcessEnv;
  mode: 'embedded' | 'clustered';
  directory: ReloadableDirectory | undefined;
  logLevelFile: string | undefined;
  services: () => readonly { reload?(): Promise<void> | void }[];
}): Promise<void> {
  const { logger } = opts;
  const done: Record<string, unknown> = {};
  try {
    if (opts.directory) done.users = opts.directory.reload(opts.env, opts.mode);
  } catch (e) {
    logger.error({ err: (e as Error).message }, 'reload: users file not reloaded; the previous users stay');
  }
  try {
    const level = readLogLevel(opts.logLevelFile);
    if (level !== undefined) {
      logger.level = level;
      done.logLevel = level;
    }
  } catch (e) {
    logger.error({ err: (e as Error).message }, 'reload: log level not changed');
  }
  for (const s of opts.services()) {
    try {
      await s.reload?.();
    } catch (e) {
      logger.error({ err: (e as Error).message }, 'reload: a service could not reload; it keeps its previous settings');
    }
  }
  logger.info(done, 'reloaded (SIGHUP)');
}
