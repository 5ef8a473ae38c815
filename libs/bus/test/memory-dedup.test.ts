import { describe, expect, it } from 'vitest';
import { MemoryNetwork } from '../src/index.js';

// Issue 13: the in-process bus scanned its whole de-duplication map on every publish, so its cost
// grew with the traffic of the last two minutes. These count the entries looked at, not time.
describe('MemoryNetwork de-duplication', () => {
  const examinedFor = (net: MemoryNetwork, f: () => void): number => {
    const before = net.dedupExamined;
    f();
    return net.dedupExamined - before;
  };

  it('looks at a bounded number of entries per publish, however many ids it remembers', () => {
    const net = new MemoryNetwork({ duplicateWindowMs: 120_000 });
    const t = 1_000_000;
    let n = 0;
    const publishMany = (count: number, at: number) => {
      for (let i = 0; i < count; i++) expect(net.firstSeen('p', `id-${n++}`, at)).toBe(true);
    };
    const small = examinedFor(net, () => publishMany(100, t));
    publishMany(50_000, t + 1); // history
    const large = examinedFor(net, () => publishMany(100, t + 2));
    expect(small).toBeLessThanOrEqual(100);
    expect(large).toBeLessThanOrEqual(100);
  });

  it('still drops a repeated id within the window and forgets it after', () => {
    const net = new MemoryNetwork({ duplicateWindowMs: 1000 });
    expect(net.firstSeen('p', 'a', 0)).toBe(true);
    expect(net.firstSeen('p', 'a', 999)).toBe(false);
    expect(net.firstSeen('q', 'a', 999)).toBe(true); // ids are per pool
    expect(net.firstSeen('p', 'a', 1000)).toBe(true);
  });

  it('expires old ids from the front as time passes: each entry is dropped once', () => {
    const net = new MemoryNetwork({ duplicateWindowMs: 10 });
    for (let i = 0; i < 1000; i++) net.firstSeen('p', `x${i}`, i);
    // 1000 publishes, each dropping the ids that expired since the one before: about 2 entries each.
    expect(net.dedupExamined).toBeLessThanOrEqual(2 * 1000);
  });
});
