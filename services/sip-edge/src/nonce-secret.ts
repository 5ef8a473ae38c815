import { readFileSync } from 'node:fs';
import { ConfigError } from '@presence/telemetry';

/**
 * The secret digest nonces are signed with, shared by every edge of a deployment so that a client
 * moved to another edge by a load balancer is not challenged again: PRESENCE_NONCE_SECRET, else
 * the content of PRESENCE_NONCE_SECRET_FILE. Undefined when neither is set (a random one per edge).
 */
export function loadNonceSecret(value: string | undefined, file: string | undefined): Buffer | undefined {
  let secret = value?.trim();
  let name = 'PRESENCE_NONCE_SECRET';
  if (!secret && file?.trim()) {
    name = 'PRESENCE_NONCE_SECRET_FILE';
    try {
      secret = readFileSync(file, 'utf8').trim();
    } catch (e) {
      throw new ConfigError(name, `Invalid environment variable ${name}=${JSON.stringify(file)}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  if (!secret) return undefined;
  if (secret.length < 32) throw new ConfigError(name, `Invalid environment variable ${name}: the nonce secret needs at least 32 characters`);
  return Buffer.from(secret, 'utf8');
}
