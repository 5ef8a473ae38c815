import type { Partition, Store } from '@presence/state';

/** Nonce counts live outside every pool, one partition per user. */
const POOL = '_nonce';
const COLLECTION = 'nc';

interface CountRecord {
  readonly nc: number;
}

/**
 * The highest nonce count seen per nonce (RFC 7616 §3.4.5), in the store, so that every edge of a
 * deployment refuses a replay and accepts the next count of a client that moved to another edge
 * behind a load balancer. Records expire with their nonce and are swept.
 */
export class NonceReplay {
  constructor(private readonly store: Store) {}

  /** Records `count` for `nonce`; false when the same or a higher count was seen (a replay). */
  async record(user: string, nonce: string, count: number, expiresAt: number): Promise<boolean> {
    const p: Partition = { pool: POOL, user };
    for (let attempt = 0; attempt < 3; attempt++) {
      const rec = await this.store.get<CountRecord>(p, COLLECTION, nonce);
      if (rec && count <= rec.value.nc) return false;
      const r = await this.store.apply(p, [{ op: 'put', collection: COLLECTION, id: nonce, value: { nc: count }, expect: rec?.version ?? 0, expiresAt }]);
      if (r.ok) return true;
    }
    return false; // lost every race to other uses of the same nonce: treat as a replay
  }

  /** Removes the records of nonces past their lifetime; returns how many. */
  async sweep(now: number, limit = 500): Promise<number> {
    let n = 0;
    for (const due of await this.store.due(POOL, COLLECTION, now, limit)) {
      const r = await this.store.apply(due.partition, [{ op: 'delete', collection: COLLECTION, id: due.record.id, expect: due.record.version }]);
      if (r.ok) n++;
    }
    return n;
  }
}
