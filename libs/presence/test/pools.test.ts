import { describe, expect, it } from 'vitest';
import { homePool, parsePools, poolGruu, poolOfUri } from '../src/index.js';

const pools = parsePools(['pool1', 'pool2=pres2.contoso.com'], 'contoso.com');

describe('pools ([DESIGN] Pools, [MS-PRES] §3.4.5.1.3.1)', () => {
  it('parses ids with optional FQDNs', () => {
    expect(pools).toEqual([
      { id: 'pool1', fqdn: 'pool1.contoso.com' },
      { id: 'pool2', fqdn: 'pres2.contoso.com' },
    ]);
  });

  it('writes the pool GRUU as the spec’s examples do, and finds the pool back from it', () => {
    const gruu = poolGruu(pools[1]!, 'contoso.com');
    expect(gruu).toBe('sip:pres2.contoso.com@contoso.com;gruu;opaque=srvr:HomeServer:pool2');
    expect(poolOfUri(gruu, pools)).toEqual(pools[1]);
    expect(poolOfUri('sip:x.contoso.com@contoso.com;gruu;opaque=srvr:HomeServer:nope', pools)).toBe('unknown');
    expect(poolOfUri('sip:alice@contoso.com', pools)).toBeUndefined();
    expect(poolOfUri('sip:alice@contoso.com;opaque=user:epid:abc;gruu', pools)).toBeUndefined();
  });

  it('homes a user by the directory’s assignment, else by rendezvous hashing that every process agrees on', () => {
    expect(homePool('sip:alice@contoso.com', pools, 'pool2')).toBe('pool2');
    expect(homePool('sip:alice@contoso.com', pools, 'gone')).toBe(homePool('sip:alice@contoso.com', pools));
    const users = Array.from({ length: 1000 }, (_, i) => `sip:u${i}@contoso.com`);
    const counts = new Map<string, number>();
    for (const u of users) counts.set(homePool(u, pools), (counts.get(homePool(u, pools)) ?? 0) + 1);
    expect(counts.get('pool1')!).toBeGreaterThan(400);
    expect(counts.get('pool2')!).toBeGreaterThan(400);
    // Adding a pool moves only users to the new pool (the point of rendezvous hashing).
    const three = [...pools, { id: 'pool3', fqdn: 'pool3.contoso.com' }];
    for (const u of users) {
      const after = homePool(u, three);
      if (after !== 'pool3') expect(after).toBe(homePool(u, pools));
    }
  });
});
