import { planAggregation } from '@presence/presence';
import { announce } from '@presence/runtime';
import { getHeader } from '@presence/sip';
import { listRecords, publications, remove } from '@presence/state';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LyncClient } from './support/lync-client.js';
import type { World } from './support/world.js';

const BOB = 'sip:bob@contoso.com';
const ALICE = 'sip:alice@contoso.com';
const PUBLISH = 'application/msrtc-category-publish+xml';
const NS = 'xmlns="http://schemas.microsoft.com/2006/09/sip/state" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';
const CT = 'xmlns="http://schemas.microsoft.com/2006/09/sip/commontypes"';
const publish = (pubs: string) => `<publish xmlns="http://schemas.microsoft.com/2006/09/sip/rich-presence"><publications uri="${BOB}">${pubs}</publications></publish>`;
const machineState = (container: number, version: number, availability: number, instance = 809938687) =>
  `<publication categoryName="state" instance="${instance}" container="${container}" version="${version}" expireType="endpoint"><state ${NS} manual="false" xsi:type="machineState"><availability>${availability}</availability><endpointLocation>Home_Custom_EndPoint_Location</endpointLocation><delimiter ${CT}/><timeZoneBias>999</timeZoneBias><timeZoneName>Pacific Daylight Time</timeZoneName><timeZoneAbbreviation>PDT</timeZoneAbbreviation><device>computer</device><end ${CT}/></state></publication>`;

/** Issue 6's end-to-end checks: aggregated state through real sockets. */
export function aggregationSuite(name: string, makeWorld: () => Promise<World>): void {
  describe(`aggregation: ${name}`, () => {
    let w: World;
    let bob: LyncClient;
    let alice: LyncClient;
    const stateOf = (body: string) => Number(/<availability>(\d+)<\/availability>/.exec(body)?.[1]);

    beforeEach(async () => {
      w = await makeWorld();
      bob = await LyncClient.connect(w.ports.tcp, BOB, 'b1');
      await bob.register();
      alice = await LyncClient.connect(w.ports.tcp, ALICE, 'a1');
      await alice.register();
      // Bob's colleagues container, as Lync sets it up at first sign-in.
      expect((await bob.service('application/msrtc-setcontainermembers+xml', '<setContainerMembers xmlns="http://schemas.microsoft.com/2006/09/sip/container-management"><container id="200" version="0"><member type="sameEnterprise"/></container></setContainerMembers>')).status).toBe(200);
    });
    afterEach(async () => {
      bob.close();
      alice.close();
      await w.stop();
    });

    it('[MS-PRES] §4.3.1: the publish 200 carries the computed instances, and a colleague (container 200) sees the aggregated state', async () => {
      expect((await bob.service(PUBLISH, publish(machineState(2, 0, 3500) + machineState(3, 0, 3500)))).status).toBe(200);
      await alice.categorySubscribe([{ uri: BOB }], { categories: ['state'] });
      const res = await bob.service(
        PUBLISH,
        publish(
          `<publication categoryName="state" instance="536870912" container="3" version="0" expireType="static"><state ${NS} manual="true" xsi:type="userState"><availability>6900</availability><activity token="urgent-interruptions-only" minAvailability="6900" maxAvailability="8999"/></state></publication>` +
            `<publication categoryName="state" instance="536870912" container="2" version="0" expireType="static"><state ${NS} manual="true" xsi:type="userState"><availability>9500</availability><activity minAvailability="9500" maxAvailability="11999"><custom LCID="1033">Interviewing</custom></activity></state></publication>`,
        ),
      );
      expect(res.status).toBe(200);
      const body = res.body.toString();
      for (const c of [2, 3, 100, 200, 300, 400]) expect(body).toMatch(new RegExp(`<category name="state" instance="1" publishTime="[^"]+" container="${c}" version="\\d+" expireType="user"><state xsi:type="aggregateState"`));
      expect(body).toContain('<legacyInterop xmlns="http://schemas.microsoft.com/2006/09/sip/categories" availability="6900" token="urgent-interruptions-only"/>');
      // The 200 carries the whole (2, state) entry, so the unchanged AMS too, keeping its version 1 (as §4.3.1 shows).
      expect(body).toMatch(/<category name="state" instance="268435456" publishTime="[^"]+" container="2" version="1" expireType="user">/);
      const n = await alice.nextNotify(3000, (m) => m.body.toString().includes('9500'));
      expect(n.body.toString()).toContain(
        `<state xsi:type="aggregateState" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.microsoft.com/2006/09/sip/state"><availability>9500</availability><activity><custom LCID="1033">Interviewing</custom></activity><delimiter ${CT}/><device>computer</device><end ${CT}/></state>`,
      );
    });

    it('[MS-PRES] §4.3.2: a device publish gives colleagues the services of the most active endpoint, without publish-only capabilities', async () => {
      await alice.categorySubscribe([{ uri: BOB }], { categories: ['services'] });
      // The device's endpointId is the endpoint's +sip.instance UUID, as the machineState's endpointId is (§3.8.5.2).
      const device = `<publication categoryName="device" instance="3790621588" container="2" version="0" expireType="endpoint"><device xmlns="http://schemas.microsoft.com/2006/09/sip/device" endpointId="9B2B7E1C-5C5F-5B8F-9A7B-1C1D1E1F2A2B"><capabilities preferred="false" uri="sip:bob@contoso.com"><text capture="true" render="true" publish="false"/><breakthrough render="false" capture="false" publish="true"/></capabilities><machineName>BOB-MACHINE</machineName></device></publication>`;
      const res = await bob.service(PUBLISH, publish(device + machineState(2, 0, 3500)));
      expect(res.status).toBe(200);
      expect(res.body.toString()).toMatch(/<category name="services" instance="0" publishTime="[^"]+" container="2" version="1" expireType="user"><services xmlns="http:\/\/schemas\.microsoft\.com\/2006\/09\/sip\/service"><service uri="sip:bob@contoso\.com"><capabilities><text render="true" capture="true" publish="false" preferredEndpointId="9b2b7e1c-5c5f-5b8f-9a7b-1c1d1e1f2a2b" deviceAvailability="3500"\/><breakthrough /);
      const n = await alice.nextNotify(3000, (m) => m.body.toString().includes('<services'));
      expect(n.body.toString()).toContain(
        '<services xmlns="http://schemas.microsoft.com/2006/09/sip/service"><service uri="sip:bob@contoso.com"><capabilities><text render="true" capture="true" deviceAvailability="3500"/></capabilities></service></services>',
      );
    });

    it('shows watchers offline (18500) within 1 s of the user’s last endpoint signing out', async () => {
      expect((await bob.service(PUBLISH, publish(machineState(2, 0, 3500)))).status).toBe(200);
      await alice.categorySubscribe([{ uri: BOB }], { categories: ['state'] });
      await new Promise((r) => setTimeout(r, 300));
      alice.sip.received.length = 0;
      const t0 = Date.now();
      expect((await bob.request('REGISTER', { headers: [{ name: 'Expires', value: '0' }] })).status).toBe(200);
      const n = await alice.nextNotify(1000, (m) => m.body.toString().includes('aggregateState'));
      expect(Date.now() - t0).toBeLessThan(1000);
      expect(stateOf(n.body.toString())).toBe(18500);
      expect(getHeader(n, 'Event')).toBe('presence');
    });

    it('the aggregation service repairs computed instances a change left out once it is announced as aggregation-due (§3.8)', async () => {
      expect((await bob.service(PUBLISH, publish(machineState(2, 0, 3500) + machineState(3, 0, 3500)))).status).toBe(200);
      const p = { pool: w.pool, user: BOB };
      const shown = (await listRecords(w.store, p, publications)).find((r) => r.id === '200:state:1')!;
      expect(stateOf(shown.value.data)).toBe(3500);
      // A writer that bypassed the publication path: the aggregated state is gone.
      expect((await w.store.apply(p, [remove(publications, shown.id, { expect: shown.version })])).ok).toBe(true);
      expect(planAggregation(await listRecords(w.store, p, publications), [{ container: 2, name: 'state' }], new Date()).changes).not.toEqual([]);
      await announce(w.proc.adapters.bus, w.pool, { user: BOB, categories: [{ container: 2, name: 'state' }], at: new Date().toISOString() }, `test:${Date.now()}`);
      await expect
        .poll(async () => (await listRecords(w.store, p, publications)).find((r) => r.id === '200:state:1')?.value.data, { timeout: 5000 })
        .toContain('<availability>3500</availability>');
    });

    it('ends consistent when two endpoints of one user publish at once: outputs equal a sequential run over the final inputs', async () => {
      const second = await LyncClient.connect(w.ports.tcp, BOB, 'b2');
      await second.register();
      try {
        const run = async (c: LyncClient, instance: number, values: number[]) => {
          let version = 0;
          for (const v of values) {
            const r = await c.service(PUBLISH, publish(machineState(2, version, v, instance)));
            if (r.status === 200) version++;
          }
        };
        await Promise.all([run(bob, 1001, [3500, 5000, 15500, 3500, 6500, 4500]), run(second, 1002, [15500, 3500, 5000, 18000, 3500, 12000])]);
        const pubs = await listRecords(w.store, { pool: w.pool, user: BOB }, publications);
        expect(planAggregation(pubs, [{ container: 2, name: 'state' }], new Date()).changes).toEqual([]);
        const shown = pubs.find((r) => r.id === '200:state:1');
        expect(stateOf(shown!.value.data)).toBe(4500); // the most active of the final inputs (4500 and 12000)
      } finally {
        second.close();
      }
    });
  });
}
