import { getHeader } from '@presence/sip';
import { dialogs, listRecords, watchers, type Store } from '@presence/state';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LyncClient } from './support/lync-client.js';
import type { World } from './support/world.js';

const JOHN = 'sip:john@contoso.com';
const BOB = 'sip:bob@contoso.com';

/** Makes the store's reads of `pool` slow (as a loaded Redis would be) until the returned function is called. */
function slowReads(store: Store, pool: string, ms: number): () => void {
  const s = store as unknown as Record<'get' | 'list', (...a: unknown[]) => Promise<unknown>>;
  const { get, list } = s;
  const slow = (f: (...a: unknown[]) => Promise<unknown>) =>
    async (...a: unknown[]) => {
      if ((a[0] as { pool: string }).pool === pool) await new Promise((r) => setTimeout(r, ms));
      return f.apply(store, a);
    };
  s.get = slow(get);
  s.list = slow(list);
  return () => {
    s.get = get;
    s.list = list;
  };
}

/** Issue 13: a request the edge answered 503 (bus timeout) leaves no state; run embedded and clustered. */
export function deadlineSuite(name: string, makeWorld: (env: Record<string, string>) => Promise<World>): void {
  describe(`a request answered 503 after the bus timeout leaves no state (request deadlines): ${name}`, () => {
    let w: World;
    const clients: LyncClient[] = [];
    const signIn = async (user: string) => {
      const c = await LyncClient.connect(w.ports.tcp, user);
      clients.push(c);
      expect((await c.register()).status).toBe(200);
      return c;
    };
    beforeEach(async () => {
      w = await makeWorld({ BUS_REQUEST_TIMEOUT_MS: '1000' });
    });
    afterEach(async () => {
      for (const c of clients.splice(0)) c.close();
      await w.stop();
    });

    it('a batch SUBSCRIBE the service finishes too late gets 503 with Retry-After and creates no dialog nor watcher', async () => {
      const john = await signIn(JOHN);
      await signIn(BOB);
      const restore = slowReads(w.proc.adapters.store, w.pool, 700);
      const res = await john.categorySubscribe([{ uri: BOB }]);
      expect(res.status).toBe(503);
      expect(getHeader(res, 'Retry-After')).toBe('5');
      // Let the abandoned handler run to its end: its write must be refused.
      await new Promise((r) => setTimeout(r, 3000));
      restore();
      expect(await listRecords(w.store, { pool: w.pool, user: JOHN }, dialogs)).toEqual([]);
      expect(await listRecords(w.store, { pool: w.pool, user: BOB }, watchers)).toEqual([]);
    });

    it('the same SUBSCRIBE in time creates its dialog (the check above can fail)', async () => {
      const john = await signIn(JOHN);
      await signIn(BOB);
      expect((await john.categorySubscribe([{ uri: BOB }])).status).toBe(200);
      expect(await listRecords(w.store, { pool: w.pool, user: JOHN }, dialogs)).toHaveLength(1);
    });
  });
}
