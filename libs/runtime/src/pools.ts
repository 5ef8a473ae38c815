import { homePool, parsePools, poolGruu, poolOfUri, type Pool } from '@presence/presence';
import type { UserDirectory } from './directory.js';
import type { ProcessConfig } from './process-config.js';

/** The deployment's pools as every process sees them ([DESIGN] Pools). */
export interface Pools {
  readonly all: readonly Pool[];
  /** The home pool of a user: the directory's assignment, else rendezvous hashing. */
  home(aor: string): string;
  /** A pool's GRUU, for `poolFqdn` in resubscribe answers ([MS-PRES] §3.4.5.1.3.1). */
  gruu(poolId: string): string;
  /** The pool a Request-URI addresses, 'unknown' for an unknown pool GRUU, undefined otherwise. */
  ofUri(uri: string): Pool | 'unknown' | undefined;
}

export function loadPools(config: ProcessConfig, directory: UserDirectory | undefined): Pools {
  const domain = config.PRESENCE_DOMAINS[0]!;
  const all = parsePools(config.PRESENCE_POOLS.length > 0 ? config.PRESENCE_POOLS : [config.POOL_ID], domain);
  return {
    all,
    home: (aor) => homePool(aor, all, directory?.get(aor)?.pool),
    gruu: (id) => poolGruu(all.find((p) => p.id === id) ?? { id, fqdn: `${id}.${domain}` }, domain),
    ofUri: (uri) => poolOfUri(uri, all),
  };
}
