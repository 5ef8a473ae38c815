import { getHeader, type SipRequest, type SipResponse } from '@presence/sip';
import { dialogs, listRecords, watchers } from '@presence/state';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LyncClient } from './support/lync-client.js';
import type { World } from './support/world.js';

const ALICE = 'sip:alice@contoso.com';
const BOB = 'sip:bob@contoso.com';
const CONTACTS = ['vnd-microsoft-roaming-contacts', 'application/vnd-microsoft-roaming-contacts+xml'] as const;
const PROVISIONING = ['vnd-microsoft-provisioning-v2', 'application/vnd-microsoft-roaming-provisioning-v2+xml'] as const;
const PROVISIONING_BODY =
  '<provisioningGroupList xmlns="http://schemas.microsoft.com/2006/09/sip/provisiongrouplist"><provisioningGroup name="ServerConfiguration"/><provisioningGroup name="ucPolicy"/></provisioningGroupList>';
const PUBLISH = 'application/msrtc-category-publish+xml';
const note = (version: number, text: string) =>
  `<publish xmlns="http://schemas.microsoft.com/2006/09/sip/rich-presence"><publications uri="${BOB}"><publication categoryName="note" instance="0" container="200" version="${version}" expireType="static"><note xmlns="http://schemas.microsoft.com/2006/09/sip/note"><body type="personal" uri="">${text}</body></note></publication></publications></publish>`;
const colleagues = `<setContainerMembers xmlns="http://schemas.microsoft.com/2006/09/sip/container-management"><container id="200" version="0"><member action="add" type="sameEnterprise"/></container></setContainerMembers>`;

/** The server's lifetimes, compressed: a working day of refreshes in a few seconds. */
export const COMPRESSED_TIMERS = {
  SUBSCRIBE_MIN_EXPIRES: '2',
  SUBSCRIBE_DEFAULT_EXPIRES: '3',
  SUBSCRIBE_MAX_EXPIRES: '3',
  REGISTER_MIN_EXPIRES: '2',
  REGISTER_DEFAULT_EXPIRES: '3',
  REGISTER_MAX_EXPIRES: '3',
  PRESENCE_SWEEP_MS: '100',
};
const DAY_MS = 6500;

/** The seconds an answer grants: what a client schedules its refresh from (RFC 6665 §4.1.2.1). */
function granted(res: SipResponse, what: string): number {
  expect(res.status, what).toBe(200);
  const s = Number(getHeader(res, 'Expires'));
  expect(s, `${what}: Expires`).toBeGreaterThan(0);
  return s;
}

/**
 * Issue 11 item 8: the whole life of a Lync-family client with compressed timers. Every refresh is
 * scheduled from the server's answers alone (half the granted Expires, as clients do); nothing may
 * end by timeout while the client is signed in, and a contact's changes keep arriving.
 */
export function dayLongSuite(name: string, makeWorld: () => Promise<World>): void {
  describe(`a day-long sign-in: ${name}`, () => {
    let w: World;
    const clients: LyncClient[] = [];
    beforeEach(async () => {
      w = await makeWorld();
    });
    afterEach(async () => {
      for (const c of clients.splice(0)) c.close();
      await w.stop();
    });

    it('signs in, refreshes the registration and every subscription several times from the answers, sees every change, signs out leaving nothing', { timeout: 30_000 }, async () => {
      const bob = await LyncClient.connect(w.ports.tcp, BOB, 'b1');
      const alice = await LyncClient.connect(w.ports.tcp, ALICE, 'a1');
      clients.push(bob, alice);
      const bobRefresh = async () => void granted(await bob.register(), 'bob REGISTER');
      await bobRefresh();
      expect((await bob.service('application/msrtc-setcontainermembers+xml', colleagues)).status).toBe(200);
      expect((await bob.service(PUBLISH, note(0, 'morning'))).status).toBe(200);

      // Everything alice's endpoint receives, NOTIFYs answered as they come.
      const seen: SipRequest[] = [];
      let draining = true;
      const drain = (async () => {
        while (draining) {
          const m = await alice.nextNotify(100).catch(() => undefined);
          if (m) seen.push(m);
        }
      })();

      // Sign-in, as the client does it.
      const schedule = new Map<string, { at: number; refresh: () => Promise<SipResponse>; count: number; tag?: string }>();
      const track = (what: string, res: SipResponse, refresh: () => Promise<SipResponse>) => {
        const prev = schedule.get(what);
        const tag = /;tag=([^;]+)/.exec(getHeader(res, 'To') ?? '')?.[1];
        if (prev && what !== 'REGISTER') expect(tag, `${what} keeps its dialog`).toBe(prev.tag);
        schedule.set(what, { at: Date.now() + (granted(res, what) * 1000) / 2, refresh, count: (prev?.count ?? -1) + 1, ...(tag ? { tag } : {}) });
      };
      track('REGISTER', await alice.register(), () => alice.register());
      track('self', await alice.selfSubscribe(), () => alice.selfSubscribe());
      track('contacts', await alice.subscribeOwn(...CONTACTS), () => alice.subscribeOwn(...CONTACTS));
      const prov = await alice.subscribeOwn(...PROVISIONING, { expires: 0, body: PROVISIONING_BODY });
      expect(prov.status).toBe(200);
      expect(getHeader(prov, 'ms-piggyback-cseq')).toBeDefined();
      const categories = () => alice.categorySubscribe([{ uri: BOB }], { categories: ['note', 'state'], inDialog: alice.categoryDialog !== undefined });
      const first = await categories();
      expect(first.body.toString()).toContain('morning');
      track('presence', first, categories);

      // The day: refresh what is due; Bob's note changes between refreshes.
      const start = Date.now();
      let hour = 0;
      let nextChange = start + 700;
      let bobDue = start + 1000;
      while (Date.now() - start < DAY_MS) {
        for (const [what, s] of schedule) if (Date.now() >= s.at) track(what, await s.refresh(), s.refresh);
        if (Date.now() >= bobDue) {
          await bobRefresh();
          bobDue = Date.now() + 1000;
        }
        if (Date.now() >= nextChange) {
          hour++;
          expect((await bob.service(PUBLISH, note(hour, `hour ${hour}`))).status).toBe(200);
          const text = `hour ${hour}`;
          const end = Date.now() + 3000;
          while (!seen.some((m) => getHeader(m, 'Event') === 'presence' && m.body.toString().includes(text))) {
            if (Date.now() > end) throw new Error(`alice never saw "${text}"`);
            await new Promise((r) => setTimeout(r, 20));
          }
          nextChange = Date.now() + 1200;
        }
        await new Promise((r) => setTimeout(r, 50));
      }

      expect(hour).toBeGreaterThanOrEqual(4);
      for (const [what, s] of schedule) expect(s.count, `${what} refreshes`).toBeGreaterThanOrEqual(3);
      // Nothing ended while signed in: no terminating notification, every dialog still there.
      expect(seen.filter((m) => /^terminated/i.test(getHeader(m, 'subscription-state') ?? ''))).toEqual([]);
      const mine = async () => (await listRecords(w.store, { pool: w.pool, user: ALICE }, dialogs)).filter((d) => d.value.epid === 'a1');
      expect((await mine()).map((d) => d.value.event).sort()).toEqual(['presence', 'vnd-microsoft-roaming-contacts', 'vnd-microsoft-roaming-self']);

      // Sign-out: unSUBSCRIBE each dialog as the client does, then un-REGISTER.
      expect((await alice.unsubscribeCategories()).status).toBe(200);
      expect((await alice.subscribeOwn(...CONTACTS, { expires: 0 })).status).toBe(200);
      expect((await alice.selfSubscribe({ expires: 0 })).status).toBe(200);
      expect((await alice.unregister()).status).toBe(200);
      draining = false;
      await drain;
      expect(await mine()).toEqual([]);
      expect((await listRecords(w.store, { pool: w.pool, user: BOB }, watchers)).filter((x) => x.value.subscriber === ALICE)).toEqual([]);
    });
  });
}
