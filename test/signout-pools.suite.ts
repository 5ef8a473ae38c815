import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dialogs, listRecords, watchers, type Store } from '@presence/state';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LyncClient } from './support/lync-client.js';
import type { World } from './support/world.js';

/** Two pools: alice and bob homed in A, carol and john in B. */
export interface TwoPoolWorld {
  readonly poolA: string;
  readonly poolB: string;
  readonly edge: number;
  readonly store: Store;
  stop(): Promise<void>;
}

/** A users file homing alice and bob in `a`, carol and john in `b`. */
export function twoPoolUsers(a: string, b: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'signout-')), 'users.json');
  const users = [['alice', a], ['bob', a], ['carol', b], ['john', b]].map(([u, pool]) => ({ uri: `sip:${u}@contoso.com`, password: `${u}-pw`, displayName: u, pool }));
  writeFileSync(file, JSON.stringify({ users }));
  return file;
}

export const poolIds = () => {
  const id = randomUUID().slice(0, 6);
  return { a: `sa${id}`, b: `sb${id}` };
};

export function fromWorlds(a: World, b: World | undefined): TwoPoolWorld {
  return { poolA: a.pool, poolB: b?.pool ?? '', edge: a.ports.tcp, store: a.store, stop: async () => void (await Promise.all([a.stop(), b?.stop()])) };
}

const ALICE = 'sip:alice@contoso.com';

/** Issue 11 item 5: sign-out ends every dialog of the endpoint in every pool, racing SUBSCRIBEs included. */
export function signOutAcrossPools(name: string, make: () => Promise<TwoPoolWorld>): void {
  describe(`sign-out across pools: ${name}`, () => {
    let w: TwoPoolWorld;
    const clients: LyncClient[] = [];
    beforeEach(async () => {
      w = await make();
    });
    afterEach(async () => {
      for (const c of clients.splice(0)) c.close();
      await w.stop();
    });

    it('ends the endpoint’s dialogs and watcher records in both pools, those of SUBSCRIBEs racing the un-REGISTER included', { timeout: 30_000 }, async () => {
      const gruuB = `sip:${w.poolB}.contoso.com@contoso.com;gruu;opaque=srvr:HomeServer:${w.poolB}`;
      const left = async (epid: string) => {
        const out: string[] = [];
        for (const pool of [w.poolA, w.poolB]) {
          for (const d of await listRecords(w.store, { pool, user: ALICE }, dialogs)) if (d.value.epid === epid) out.push(`${pool} dialog ${d.value.event}`);
          for (const u of ['sip:bob@contoso.com', 'sip:carol@contoso.com', 'sip:john@contoso.com']) {
            for (const x of await listRecords(w.store, { pool, user: u }, watchers)) if (x.value.subscriber === ALICE) out.push(`${pool} watcher of ${u}`);
          }
        }
        return out;
      };
      const settle = async (epid: string) => {
        const end = Date.now() + 5000;
        let now = await left(epid);
        while (now.length > 0 && Date.now() < end) {
          await new Promise((r) => setTimeout(r, 50));
          now = await left(epid);
        }
        return now;
      };

      for (const epid of ['a1', 'a2', 'a3']) {
        const alice = await LyncClient.connect(w.edge, ALICE, epid);
        clients.push(alice);
        await alice.register();
        expect((await alice.categorySubscribe([{ uri: 'sip:bob@contoso.com' }])).status).toBe(200);
        const carol = await LyncClient.connect(w.edge, ALICE, epid); // the same endpoint's single subscription in pool B
        clients.push(carol);
        carol.cseq = 1000;
        expect((await carol.categorySubscribe([{ uri: 'sip:carol@contoso.com' }], { single: true, to: 'sip:carol@contoso.com', requestUri: gruuB })).status).toBe(200);
        expect(await left(epid)).toEqual(expect.arrayContaining([`${w.poolA} dialog presence`, `${w.poolB} dialog presence`, `${w.poolB} watcher of sip:carol@contoso.com`]));

        // The sign-out races a single SUBSCRIBE in pool B and a refresh in pool A.
        const [john, refresh, bye] = await Promise.all([
          carol.categorySubscribe([{ uri: 'sip:john@contoso.com' }], { single: true, to: 'sip:john@contoso.com', requestUri: gruuB }).then((r) => r.status),
          alice.categorySubscribe([{ uri: 'sip:bob@contoso.com' }], { inDialog: true }).then((r) => r.status),
          alice.unregister().then((r) => r.status),
        ]);
        expect(bye).toBe(200);
        expect([200, 481]).toContain(john);
        expect([200, 481]).toContain(refresh);
        expect(await settle(epid)).toEqual([]);

        // A SUBSCRIBE arriving after the sign-out leaves nothing either.
        const late = await carol.categorySubscribe([{ uri: 'sip:john@contoso.com' }], { single: true, to: 'sip:john@contoso.com', requestUri: gruuB });
        expect(late.status).toBe(481);
        expect(await left(epid)).toEqual([]);
      }
    });
  });
}
