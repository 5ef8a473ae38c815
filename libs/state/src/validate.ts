import { InvalidChangeError } from './errors.js';
import type { Change } from './store.js';

/** Checks what both backends require of a change list, so they reject the same mistakes. */
export function validateChanges(changes: readonly Change[]): void {
  const seen = new Set<string>();
  for (const c of changes) {
    if (!c.collection || !/^[A-Za-z0-9_-]+$/.test(c.collection)) {
      throw new InvalidChangeError(`invalid collection name ${JSON.stringify(c.collection)}`);
    }
    if (typeof c.id !== 'string' || c.id.length === 0) throw new InvalidChangeError('record id must be a non-empty string');
    if (c.expect !== undefined && (!Number.isSafeInteger(c.expect) || c.expect < 0)) {
      throw new InvalidChangeError(`expected version must be a non-negative integer, got ${c.expect}`);
    }
    if (c.op === 'put') {
      if (c.value === undefined) throw new InvalidChangeError(`put ${c.collection}/${c.id} without a value`);
      if (c.keepExpiry && c.expiresAt !== undefined) throw new InvalidChangeError(`put ${c.collection}/${c.id} with both keepExpiry and expiresAt`);
      if (c.expiresAt !== undefined && !Number.isSafeInteger(c.expiresAt)) {
        throw new InvalidChangeError(`expiresAt must be integer epoch milliseconds, got ${c.expiresAt}`);
      }
    }
    // Two changes to one record in one batch would make "the expected version" ambiguous.
    const key = `${c.collection}\u0000${c.id}`;
    if (seen.has(key)) throw new InvalidChangeError(`record ${c.collection}/${c.id} is changed twice in one batch`);
    seen.add(key);
  }
}
