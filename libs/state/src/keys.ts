import type { Partition } from './store.js';

/**
 * Every Redis key is built here and nowhere else.
 *
 *   pres:<pool>:{<user>}:<collection>   hash: record id -> "<version>\t<expiresAt>\t<nonce>\t<json>"
 *   pres:<pool>:due:<collection>:{<pool>-due-<n>}
 *                                       sorted set of expiry intents of one collection, score = expiresAt
 *
 * The `{<user>}` hash tag puts all of one user's collections in one Redis Cluster slot, which is what
 * lets one Lua script change several of them atomically. The due index is sharded so that no single
 * key takes every expiry of a pool.
 */
export const DUE_SHARDS = 16;
const POOL = /^[A-Za-z0-9_-]{1,64}$/;

/** Percent-encodes everything but unreserved characters, so `{`, `}`, `:` and `%` never appear raw. */
export function encodeUser(user: string): string {
  return user.replace(/[^A-Za-z0-9@._~+-]/gu, (c) =>
    [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}

export function checkPool(pool: string): string {
  if (!POOL.test(pool)) throw new RangeError(`invalid pool id ${JSON.stringify(pool)}: 1-64 characters of A-Z a-z 0-9 _ -`);
  return pool;
}

export function collectionKey(p: Partition, collection: string): string {
  return `pres:${checkPool(p.pool)}:{${encodeUser(p.user)}}:${collection}`;
}

/** FNV-1a, to spread users over the due-index shards. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export function dueShard(user: string): number {
  return fnv1a(user) % DUE_SHARDS;
}

export function dueKey(pool: string, collection: string, shard: number): string {
  return `pres:${checkPool(pool)}:due:${collection}:{${pool}-due-${shard}}`;
}

/** All keys of a pool, for administrative clean-up and tests. */
export function poolPattern(pool: string): string {
  return `pres:${checkPool(pool)}:*`;
}
