import { expect } from 'vitest';
import { publications, put, StoreUnavailableError, type Partition, type PublicationRecord, type RedisStore } from '../src/index.js';

export const note = (data: string): PublicationRecord => ({ categoryName: 'note', instance: '0', container: 400, expireType: 'static', publishTime: '2026-11-30T00:00:00Z', data });

/**
 * Writes a note until one write succeeds, as a client retrying its 503s would; every failure on the
 * way must be a StoreUnavailableError (503), nothing else. Resolves with the time it took.
 */
export async function writeUntilOk(store: RedisStore, p: Partition, data: string, maxMs = 30_000): Promise<{ ms: number; failures: number }> {
  const t0 = Date.now();
  let failures = 0;
  for (;;) {
    const r = await store.apply(p, [put(publications, note(data))]).catch((e: unknown) => e);
    if (r && typeof r === 'object' && 'ok' in r && r.ok) return { ms: Date.now() - t0, failures };
    expect(r).toBeInstanceOf(StoreUnavailableError);
    failures++;
    if (Date.now() - t0 > maxMs) throw new Error(`the store did not recover within ${maxMs} ms: ${String(r)}`);
    await new Promise((x) => setTimeout(x, 50));
  }
}
