import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '@presence/telemetry';

/**
 * The admin credential: ADMIN_TOKEN, else the content of ADMIN_TOKEN_FILE (a mounted secret),
 * trimmed. Undefined when neither is set: the admin routes are then disabled.
 */
export function loadAdminToken(token: string | undefined, file: string | undefined): string | undefined {
  if (token !== undefined && token.trim() !== '') return checked(token.trim(), 'ADMIN_TOKEN');
  if (file === undefined || file.trim() === '') return undefined;
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError('ADMIN_TOKEN_FILE', `Invalid environment variable ADMIN_TOKEN_FILE=${JSON.stringify(file)}: ${(e as Error).message.split('\n')[0]}`);
  }
  return checked(content.trim(), 'ADMIN_TOKEN_FILE');
}

/** A guessable token is no credential: at least 16 characters. */
function checked(token: string, name: string): string {
  if (token.length < 16) throw new ConfigError(name, `Invalid environment variable ${name}: the admin token needs at least 16 characters`);
  return token;
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * Whether an Authorization header carries the token as `Bearer <token>`. Both sides are hashed
 * first so that the comparison takes the same time whatever the length or content given.
 */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '');
  return timingSafeEqual(digest(m?.[1] ?? ''), digest(token)) && m !== null;
}
