import { createHash } from 'node:crypto';

/** A pool: a shard of users with its own service instances, reachable at its GRUU. */
export interface Pool {
  readonly id: string;
  readonly fqdn: string;
}

/**
 * The pool GRUU ([MS-PRES] §3.4.5.1.3.1, [MS-SIPRE] §2.2.3), in the form the spec's examples give:
 * `sip:<pool-fqdn>@<domain>;gruu;opaque=srvr:HomeServer:<id>`.
 */
export function poolGruu(pool: Pool, domain: string): string {
  return `sip:${pool.fqdn}@${domain};gruu;opaque=srvr:HomeServer:${pool.id}`;
}

/** The pool a Request-URI names, 'unknown' for a pool GRUU of no configured pool, undefined for any other URI. */
export function poolOfUri(uri: string, pools: readonly Pool[]): Pool | 'unknown' | undefined {
  const m = /;opaque=srvr:HomeServer:([^;?>]+)/i.exec(uri);
  if (!m || !/;gruu(?:[;?>]|$)/i.test(uri)) return undefined;
  return pools.find((p) => p.id === m[1]) ?? 'unknown';
}

/**
 * A user's home pool: the directory's assignment when it names a configured pool, else rendezvous
 * (highest random weight) hashing of the address over the pools, so that every process computes
 * the same answer and adding a pool moves only the users that hash to it.
 */
export function homePool(aor: string, pools: readonly Pool[], assigned?: string): string {
  if (assigned !== undefined && pools.some((p) => p.id === assigned)) return assigned;
  let best = pools[0]!.id;
  let bestWeight = -1n;
  for (const p of pools) {
    const w = createHash('sha256').update(`${aor.toLowerCase()}\u0000${p.id}`).digest().readBigUInt64BE(0);
    if (w > bestWeight) {
      best = p.id;
      bestWeight = w;
    }
  }
  return best;
}

/** Parses `id` or `id=fqdn` entries; the FQDN defaults to `<id>.<domain>`. */
export function parsePools(entries: readonly string[], domain: string): Pool[] {
  return entries.map((e) => {
    const [id, fqdn] = e.split('=').map((x) => x.trim());
    return { id: id!, fqdn: fqdn || `${id}.${domain}` };
  });
}
