import { homePool, parsePools, poolGruu, poolOfUri, type Pool } from '@presence/presence';
import type { Partition, Store } from '@presence/state';
import type { UserDirectory } from './directory.js';
import type { ProcessConfig } from './process-config.js';

/** Where users moved by an operator are recorded: outside every pool, since it decides the pool. */
const HOMES_POOL = '_homes';
const HOME = 'home';
/** How long a process trusts what it read of a moved user's home. */
const CACHE_MS = 1000;
/** Entries are only good for CACHE_MS: past this many, the cache starts over rather than grow. */
const CACHE_MAX = 100_000;

const homePartition = (aor: string): Partition => ({ pool: HOMES_POOL, user: aor.toLowerCase() });

/** The deployment's pools as every process sees them ([DESIGN] Pools). */
export interface Pools {
  readonly all: readonly Pool[];
  /**
   * The home pool of a user: where an operator moved them, else the directory's assignment, else
   * rendezvous hashing.
   */
  home(aor: string): Promise<string>;
  /** Records that a user now lives in `pool` (the move operation; see the subscription service). */
  setHome(aor: string, pool: string): Promise<void>;
  /** A pool's GRUU, for `poolFqdn` in resubscribe answers ([MS-PRES] §3.4.5.1.3.1). */
  gruu(poolId: string): string;
  /** The pool a Request-URI addresses, 'unknown' for an unknown pool GRUU, undefined otherwise. */
  ofUri(uri: string): Pool | 'unknown' | undefined;
}

/** `store` is read lazily: the process builds its pools before it connects. */
export function loadPools(config: ProcessConfig, directory: UserDirectory | undefined, store: () => Store | undefined = () => undefined): Pools {
  const domain = config.PRESENCE_DOMAINS[0]!;
  const all = parsePools(config.PRESENCE_POOLS.length > 0 ? config.PRESENCE_POOLS : [config.POOL_ID], domain);
  const cache = new Map<string, { pool: string | undefined; at: number }>();
  const moved = async (aor: string): Promise<string | undefined> => {
    const s = store();
    if (!s || all.length < 2) return undefined;
    const hit = cache.get(aor);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.pool;
    const rec = await s.get<{ pool: string }>(homePartition(aor), HOME, 'pool');
    const pool = rec && all.some((p) => p.id === rec.value.pool) ? rec.value.pool : undefined;
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(aor, { pool, at: Date.now() });
    return pool;
  };
  return {
    all,
    home: async (aor) => (await moved(aor)) ?? homePool(aor, all, directory?.get(aor)?.pool),
    setHome: async (aor, pool) => {
      const s = store();
      if (!s) throw new Error('no store');
      await s.apply(homePartition(aor), [{ op: 'put', collection: HOME, id: 'pool', value: { pool } }]);
      cache.set(aor, { pool, at: Date.now() });
    },
    gruu: (id) => poolGruu(all.find((p) => p.id === id) ?? { id, fqdn: `${id}.${domain}` }, domain),
    ofUri: (uri) => poolOfUri(uri, all),
  };
}
