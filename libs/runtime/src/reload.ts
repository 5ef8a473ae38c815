import { readFileSync } from 'node:fs';
import { ConfigError, type Logger } from '@presence/telemetry';

const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

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
 * SIGHUP: reloads what can change without a restart — the log level of LOG_LEVEL_FILE — and then
 * each service's own reload (the edge's TLS certificate). The users file is re-read by the
 * directory itself, on SIGHUP and whenever the file changes (issue 15, `watchUsersFile`).
 * Connections and dialogs stay up; a failure is logged and the previous settings stay.
 */
export async function reloadOnHangup(opts: {
  logger: Logger;
  logLevelFile: string | undefined;
  services: () => readonly { reload?(): Promise<void> | void }[];
}): Promise<void> {
  const { logger } = opts;
  const done: Record<string, unknown> = {};
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
