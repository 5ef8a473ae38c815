import { getHeader, type SipRequest } from '@presence/sip';
import { commitAndAnnounce } from '@presence/runtime';
import { planAddSubscriber } from '@presence/presence';
import { getRecord, listRecords, publications, subscribers } from '@presence/state';
import { createLogger } from '@presence/telemetry';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LyncClient } from './support/lync-client.js';
import type { World } from './support/world.js';
import { canonical } from './support/xml.js';

const BOB = 'sip:bob@contoso.com';
const PUBLISH = 'application/msrtc-category-publish+xml';
const ROAMING = 'application/vnd-microsoft-roaming-self+xml';
const NOTE = (text: string) => `<note xmlns="http://schemas.microsoft.com/2006/09/sip/note"><body type="personal" uri="">${text}</body></note>`;
const ROAMING_NS = 'xmlns="http://schemas.microsoft.com/2006/09/sip/roaming-self" xmlns:cat="http://schemas.microsoft.com/2006/09/sip/categories" xmlns:con="http://schemas.microsoft.com/2006/09/sip/containers" xmlns:sub="http://schemas.microsoft.com/2006/09/sip/presence-subscribers"';

/** [MS-PRES] §4.2.1: the publish request (versions as given). */
function publishNote(version: number, text = 'Working until 5pm today', expires?: number): string {
  const pub = (c: number) =>
    `<publication categoryName="note" instance="0" container="${c}" version="${version}" expireType="static"${expires !== undefined ? ` expires="${expires}"` : ''}>${expires === 0 ? '' : NOTE(text)}</publication>`;
  return `<publish xmlns="http://schemas.microsoft.com/2006/09/sip/rich-presence"><publications uri="sip:bob@contoso.com">${pub(300)}${pub(400)}${pub(200)}</publications></publish>`;
}

/** [MS-PRES] §4.2.1: the 200 OK's roamingData, and the self BENOTIFY's. */
const EXAMPLE_421_200 = (version: number) => `<roamingData ${ROAMING_NS}>
  <categories xmlns="http://schemas.microsoft.com/2006/09/sip/categories" uri="sip:bob@contoso.com">
    ${[200, 300, 400]
      .map(
        (c) => `<category name="note" instance="0" publishTime="2008-01-11T17:29:13.263" container="${c}" version="${version}" expireType="static">
      <note xmlns="http://schemas.microsoft.com/2006/09/sip/note"><body type="personal" uri="">Working until 5pm today</body></note></category>`,
      )
      .join('')}
  </categories>
</roamingData>`;

/** [MS-PRES] §4.2.2: after clearing, each container is an element with name and container only. */
const EXAMPLE_422_200 = `<roamingData ${ROAMING_NS}>
  <categories xmlns="http://schemas.microsoft.com/2006/09/sip/categories" uri="sip:bob@contoso.com">
    <category name="note" container="200" /><category name="note" container="300" /><category name="note" container="400" />
  </categories>
</roamingData>`;

const quietLogger = createLogger({ level: 'silent', base: {} });

/** Issue 4's checks, run against a world (embedded or clustered). */
export function publicationSuite(name: string, makeWorld: () => Promise<World>): void {
  describe(`publication and self subscription: ${name}`, () => {
    let w: World;
    let bob: LyncClient;
    const clients: LyncClient[] = [];
    const connect = async (user = BOB, epid?: string) => {
      const c = await LyncClient.connect(w.ports.tcp, user, epid);
      clients.push(c);
      return c;
    };
    /** Waits for the server publications of a fresh sign-in, so later notifications are ours. */
    const settle = async (c: LyncClient) => {
      await expect.poll(async () => (await listRecords(w.store, { pool: w.pool, user: c.user }, publications)).length, { timeout: 5000 }).toBe(8);
      await new Promise((r) => setTimeout(r, 150));
      c.sip.received.length = 0;
    };

    beforeEach(async () => {
      w = await makeWorld();
      bob = await connect(BOB, '84d3db8c23');
      await bob.register();
      await settle(bob);
    });
    afterEach(async () => {
      for (const c of clients.splice(0)) c.close();
      await w.stop();
    });

    describe('[MS-PRES] §4.4 self SUBSCRIBE', () => {
      it('answers 200 with the piggybacked roamingData of the whole scope (§4.4.2)', async () => {
        const res = await bob.selfSubscribe();
        expect(res.status).toBe(200);
        expect(getHeader(res, 'Event')).toBe('vnd-microsoft-roaming-self');
        expect(getHeader(res, 'Require')).toBe('eventlist');
        expect(getHeader(res, 'Content-Type')).toBe(ROAMING);
        expect(getHeader(res, 'Expires')).toBe('28800');
        expect(getHeader(res, 'subscription-state')).toBe('active;expires=28800');
        expect(getHeader(res, 'ms-piggyback-cseq')).toBe('2');
        expect(getHeader(res, 'Supported')).toBe('ms-benotify, ms-piggyback-first-notify');
        expect(getHeader(res, 'To')).toMatch(/;tag=[0-9A-F]{8}$/);
        const body = res.body.toString();
        // Server publications (§3.2.6.2, §4.13): contactCard in 0,100,200,300,400,32000; legacyInterop 18500 in 32000; userProperties in 1.
        expect(body).toContain('<category name="contactCard" instance="0" publishTime="');
        expect(body.match(/name="contactCard"/g)).toHaveLength(6);
        expect(body).toMatch(/<category name="legacyInterop" instance="0" publishTime="[^"]+" container="32000" version="1" expireType="static"><legacyInterop xmlns="http:\/\/schemas\.microsoft\.com\/2006\/09\/sip\/categories" availability="18500"\/><\/category>/);
        expect(body).toContain('<displayName>Bob</displayName>');
        expect(body).toContain('<container id="0" version="0"><member type="everyone"/></container>');
        expect(body).toContain('<subscribers xmlns="http://schemas.microsoft.com/2006/09/sip/presence-subscribers"/>');
        expect(body).toContain('<delegates xmlns="http://schemas.microsoft.com/2007/09/sip/delegates" version="0"/>');
      });

      it('sends the state in a NOTIFY right after the 200 when the client does not take piggybacking', async () => {
        const res = await bob.selfSubscribe({ piggyback: false, benotify: false });
        expect(res.status).toBe(200);
        expect(res.body.length).toBe(0);
        const n = await bob.nextNotify();
        expect(n.method).toBe('NOTIFY');
        expect(getHeader(n, 'CSeq')).toBe('1 NOTIFY');
        expect(getHeader(n, 'Content-Type')).toBe(ROAMING);
        expect(n.body.toString()).toContain('name="contactCard"');
      });

      it('keeps one self dialog per endpoint: a new one ends the old with a terminating NOTIFY (§3.3.5.1)', async () => {
        await bob.selfSubscribe();
        const old = bob.selfDialog!;
        bob.selfDialog = undefined;
        expect((await bob.selfSubscribe()).status).toBe(200);
        const n = await bob.nextNotify(5000, (m) => getHeader(m, 'Call-ID') === old.callId);
        expect(n.method).toBe('NOTIFY');
        expect(getHeader(n, 'subscription-state')).toBe('terminated;reason=deactivated');
        expect((await bob.service(PUBLISH, publishNote(0))).status).toBe(200);
        const update = await bob.nextNotify();
        expect(getHeader(update, 'Call-ID')).toBe(bob.selfDialog!.callId);
      });

      it('refuses a too short subscription with 423 and Min-Expires (RFC 6665 §4.2.1.1)', async () => {
        const short = await bob.selfSubscribe({ expires: 10 });
        expect(short.status).toBe(423);
        expect(getHeader(short, 'Min-Expires')).toBe('60');
      });

      it('answers 481 to a SUBSCRIBE on an unknown dialog, and 400 to a bad roamingList', async () => {
        const bad = await bob.selfSubscribe({ body: '<roamingList xmlns="http://schemas.microsoft.com/2006/09/sip/roaming-self"><roaming type="foo"/></roamingList>' });
        expect(bad.status).toBe(400);
        bob.selfDialog = { callId: 'nope', toTag: 'NOPE', fromTag: 'x' };
        expect((await bob.selfSubscribe()).status).toBe(481);
      });

      it('ends the dialog on an in-dialog SUBSCRIBE with Expires: 0 (§4.4.4): 200 with Expires 0, no later notifications', async () => {
        await bob.selfSubscribe();
        const res = await bob.selfSubscribe({ expires: 0 });
        expect(res.status).toBe(200);
        expect(getHeader(res, 'Expires')).toBe('0');
        expect(res.body.length).toBe(0);
        expect((await bob.service(PUBLISH, publishNote(0))).status).toBe(200);
        await new Promise((r) => setTimeout(r, 500));
        expect(bob.pendingNotifies()).toEqual([]);
      });
    });

    describe('[MS-PRES] §4.2 publish', () => {
      it('§4.2.1: creates the instances, answers 200 with the roaming-self categories, and BENOTIFYs the self dialog', async () => {
        await bob.selfSubscribe();
        const res = await bob.service(PUBLISH, publishNote(0));
        expect(res.status).toBe(200);
        expect(getHeader(res, 'Content-Type')).toBe(ROAMING);
        expect(canonical(res.body.toString())).toEqual(canonical(EXAMPLE_421_200(1)));
        const n = await bob.nextNotify();
        expect(n.method).toBe('BENOTIFY');
        expect(getHeader(n, 'Event')).toBe('vnd-microsoft-roaming-self');
        expect(getHeader(n, 'Require')).toBe('eventlist');
        expect(getHeader(n, 'subscription-state')).toMatch(/^active;expires=\d+$/);
        expect(getHeader(n, 'CSeq')).toBe('3 BENOTIFY');
        expect(canonical(n.body.toString())).toEqual(canonical(EXAMPLE_421_200(1)));
      });

      it('§4.2.1: answers a stale version with 409, the fault naming each failed operation with the current data, and changes and notifies nothing', async () => {
        expect((await bob.service(PUBLISH, publishNote(0))).status).toBe(200);
        expect((await bob.service(PUBLISH, publishNote(1))).status).toBe(200);
        await bob.selfSubscribe();
        const res = await bob.service(PUBLISH, publishNote(1, 'stale'));
        expect(res.status).toBe(409);
        expect(getHeader(res, 'ms-diagnostics')).toMatch(/^2044;reason="Publication version out of date";source="/);
        expect(getHeader(res, 'Content-Type')).toBe('application/msrtc-fault+xml');
        const op = (i: number) => `<operation index="${i}" version="1" curVersion="2">${NOTE('Working until 5pm today')}</operation>`;
        expect(canonical(res.body.toString())).toEqual(canonical(`<Fault><Faultcode>Client.BadCall.WrongDelta</Faultcode><details>${op(1)}${op(2)}${op(3)}</details></Fault>`));
        const stored = await listRecords(w.store, { pool: w.pool, user: BOB }, publications);
        expect(stored.filter((r) => r.value.categoryName === 'note').map((r) => [r.version, r.value.data.includes('stale')])).toEqual([
          [2, false],
          [2, false],
          [2, false],
        ]);
        await new Promise((r) => setTimeout(r, 400));
        expect(bob.pendingNotifies()).toEqual([]);
      });

      it('§4.2.2: clears the instances, answering and notifying with an empty element per container', async () => {
        expect((await bob.service(PUBLISH, publishNote(0))).status).toBe(200);
        await bob.selfSubscribe();
        const res = await bob.service(PUBLISH, publishNote(1, '', 0));
        expect(res.status).toBe(200);
        expect(canonical(res.body.toString())).toEqual(canonical(EXAMPLE_422_200));
        const n = await bob.nextNotify();
        expect(canonical(n.body.toString())).toEqual(canonical(EXAMPLE_422_200));
        expect(await getRecord(w.store, { pool: w.pool, user: BOB }, publications, '200:note:0')).toBeUndefined();
      });

      it('leaves the store exactly as it was when one publication of a batch of ten fails', async () => {
        const batch = (versions: number[]) =>
          `<publish xmlns="http://schemas.microsoft.com/2006/09/sip/rich-presence"><publications uri="sip:bob@contoso.com">${versions
            .map((v, i) => `<publication categoryName="note" instance="${i}" container="400" version="${v}" expireType="static">${NOTE(`n${i}-${v}`)}</publication>`)
            .join('')}</publications></publish>`;
        expect((await bob.service(PUBLISH, batch(Array(10).fill(0)))).status).toBe(200);
        const before = await listRecords(w.store, { pool: w.pool, user: BOB }, publications);
        const res = await bob.service(PUBLISH, batch([1, 1, 1, 1, 1, 1, 0, 1, 1, 1]));
        expect(res.status).toBe(409);
        expect(res.body.toString().match(/<operation index="7" version="0" curVersion="1">/)).not.toBeNull();
        expect(res.body.toString().match(/<operation /g)).toHaveLength(1);
        const after = await listRecords(w.store, { pool: w.pool, user: BOB }, publications);
        expect(after.sort((a, b) => a.id.localeCompare(b.id))).toEqual(before.sort((a, b) => a.id.localeCompare(b.id)));
      });

      it.each([
        ['a read-only (container, category)', `<publication categoryName="userProperties" instance="0" container="1" version="1" expireType="static"><userProperties xmlns="http://schemas.microsoft.com/2006/09/sip/categories"/></publication>`, 403],
        ['an unregistered category', `<publication categoryName="madeUp" instance="0" container="400" version="0" expireType="static"><x/></publication>`, 403],
        ['time without expires', `<publication categoryName="note" instance="9" container="400" version="0" expireType="time">${NOTE('x')}</publication>`, 400],
        ['a non-zero expires with a static type', `<publication categoryName="note" instance="9" container="400" version="0" expireType="static" expires="60">${NOTE('x')}</publication>`, 400],
        ['the same instance twice', `<publication categoryName="note" instance="9" container="400" version="0" expireType="static"/><publication categoryName="note" instance="9" container="400" version="0" expireType="static"/>`, 400],
        ['a container over 32767', `<publication categoryName="note" instance="9" container="40000" version="0" expireType="static"/>`, 400],
        ['an oversized publication', `<publication categoryName="note" instance="9" container="400" version="0" expireType="static">${NOTE('x'.repeat(70_000))}</publication>`, 413],
      ])('refuses %s (§3.2.5.4)', async (_n, pubs, status) => {
        const res = await bob.service(PUBLISH, `<publish xmlns="http://schemas.microsoft.com/2006/09/sip/rich-presence"><publications uri="sip:bob@contoso.com">${pubs}</publications></publish>`);
        expect(res.status).toBe(status);
      });

      it('refuses a publications uri that is not the To URI (400), a body that is not XML (400), and one with a DOCTYPE (400)', async () => {
        expect((await bob.service(PUBLISH, publishNote(0).replace('uri="sip:bob@contoso.com"', 'uri="sip:alice@contoso.com"'))).status).toBe(400);
        expect((await bob.service(PUBLISH, '<publish><oops></publish>')).status).toBe(400);
        expect((await bob.service(PUBLISH, `<!DOCTYPE x [<!ENTITY a "aaaa">]>${publishNote(0)}`)).status).toBe(400);
      });

      it('refuses an endpoint-bound publication from an unregistered endpoint with 488 (§3.2.5.4)', async () => {
        const other = await connect(BOB, 'notregistered');
        const res = await other.service(PUBLISH, publishNote(0).replace(/expireType="static"/g, 'expireType="endpoint"'));
        expect(res.status).toBe(488);
      });
    });

    describe('expiry (§3.2.5.5, §3.2.6.1)', () => {
      it('removes a time-bound instance when it expires and notifies the self dialog', async () => {
        await bob.selfSubscribe();
        const pub = `<publish xmlns="http://schemas.microsoft.com/2006/09/sip/rich-presence"><publications uri="sip:bob@contoso.com"><publication categoryName="note" instance="5" container="400" version="0" expireType="time" expires="1">${NOTE('brb')}</publication></publications></publish>`;
        const res = await bob.service(PUBLISH, pub);
        expect(res.status).toBe(200);
        expect(res.body.toString()).toMatch(/expireType="time" expires="1"/);
        await bob.nextNotify();
        const n = await bob.nextNotify(6000);
        expect(canonical(n.body.toString())).toEqual(
          canonical(`<roamingData ${ROAMING_NS}><categories xmlns="http://schemas.microsoft.com/2006/09/sip/categories" uri="sip:bob@contoso.com"><category name="note" container="400"/></categories></roamingData>`),
        );
      });

      it('removes endpoint-bound instances when that endpoint signs out, user-bound ones with the last endpoint', async () => {
        const second = await connect(BOB, 'f0f0f0f0f0');
        await second.register();
        const pubs = `<publish xmlns="http://schemas.microsoft.com/2006/09/sip/rich-presence"><publications uri="sip:bob@contoso.com">
          <publication categoryName="note" instance="1" container="400" version="0" expireType="endpoint">${NOTE('endpoint')}</publication>
          <publication categoryName="note" instance="2" container="400" version="0" expireType="user">${NOTE('user')}</publication>
          <publication categoryName="note" instance="3" container="400" version="0" expireType="static">${NOTE('static')}</publication></publications></publish>`;
        expect((await bob.service(PUBLISH, pubs)).status).toBe(200);
        const ids = async () => (await listRecords(w.store, { pool: w.pool, user: BOB }, publications)).filter((r) => r.value.categoryName === 'note').map((r) => r.id).sort();
        expect(await ids()).toEqual(['400:note:1', '400:note:2', '400:note:3']);
        await second.selfSubscribe();
        expect((await bob.request('REGISTER', { headers: [{ name: 'Expires', value: '0' }] })).status).toBe(200);
        await expect.poll(ids, { timeout: 5000 }).toEqual(['400:note:2', '400:note:3']);
        const n = await second.nextNotify();
        expect(n.body.toString()).toContain('instance="2"');
        expect(n.body.toString()).not.toContain('instance="1"');
        second.close();
        await expect.poll(ids, { timeout: 5000 }).toEqual(['400:note:3']);
      });
    });

    describe('[MS-PRES] §4.9 setContainerMembers', () => {
      const set = (version: number, action: string) =>
        `<setContainerMembers xmlns="http://schemas.microsoft.com/2006/09/sip/container-management"><container id="32000" version="${version}"><member action="${action}" type="user" value="john@contoso.com" /></container></setContainerMembers>`;

      it('§4.9.1 adds a member (200, no body) and §4.9.2 removes it, each notifying the containers document', async () => {
        await bob.selfSubscribe();
        const add = await bob.service('application/msrtc-setcontainermembers+xml', set(0, 'add'));
        expect(add.status).toBe(200);
        expect(add.body.length).toBe(0);
        const n1 = await bob.nextNotify();
        expect(canonical(n1.body.toString())).toEqual(
          canonical(`<roamingData ${ROAMING_NS}><containers xmlns="http://schemas.microsoft.com/2006/09/sip/containers"><container id="32000" version="1"><member type="user" value="john@contoso.com" /></container></containers></roamingData>`),
        );
        expect((await bob.service('application/msrtc-setcontainermembers+xml', set(1, 'remove'))).status).toBe(200);
        const n2 = await bob.nextNotify();
        expect(canonical(n2.body.toString())).toEqual(
          canonical(`<roamingData ${ROAMING_NS}><containers xmlns="http://schemas.microsoft.com/2006/09/sip/containers"><container id="32000" version="2" /></containers></roamingData>`),
        );
      });

      it('answers a stale version with 409 (Client.BadCall.WrongDelta), container 0 and duplicates with 400, delete as remove', async () => {
        expect((await bob.service('application/msrtc-setcontainermembers+xml', set(0, 'add'))).status).toBe(200);
        const stale = await bob.service('application/msrtc-setcontainermembers+xml', set(0, 'add'));
        expect(stale.status).toBe(409);
        expect(stale.body.toString()).toContain('<operation index="1" version="0" curVersion="1"><member type="user" value="john@contoso.com"/></operation>');
        expect((await bob.service('application/msrtc-setcontainermembers+xml', set(0, 'add').replace('id="32000"', 'id="0"'))).status).toBe(400);
        expect((await bob.service('application/msrtc-setcontainermembers+xml', set(1, 'delete'))).status).toBe(200);
      });
    });

    describe('[MS-PRES] §4.12 setDelegate', () => {
      const setDelegates = (version: number, action: string) =>
        `<setDelegates xmlns="http://schemas.microsoft.com/2007/09/sip/delegate-management" version="${version}"><delegate uri="sip:john@contoso.com" action="${action}"/></setDelegates>`;

      it('§4.12.1 adds and §4.12.2 removes a delegate, answering and notifying the full delegates document', async () => {
        await bob.selfSubscribe();
        const add = await bob.service('application/msrtc-setDelegate+xml', setDelegates(0, 'add'));
        expect(add.status).toBe(200);
        const expected = `<roamingData ${ROAMING_NS} xmlns:del="http://schemas.microsoft.com/2007/09/sip/delegates"><delegates xmlns="http://schemas.microsoft.com/2007/09/sip/delegates" version="1"><delegate uri="john@contoso.com" publish="false" redelegate="false"/></delegates></roamingData>`;
        expect(canonical(add.body.toString())).toEqual(canonical(expected));
        expect(canonical((await bob.nextNotify()).body.toString())).toEqual(canonical(expected));
        const rm = await bob.service('application/msrtc-setDelegate +xml', setDelegates(1, 'remove'));
        expect(canonical(rm.body.toString())).toEqual(canonical(`<roamingData ${ROAMING_NS}><delegates xmlns="http://schemas.microsoft.com/2007/09/sip/delegates" version="2"/></roamingData>`));
      });

      it('answers §3.9.5.4 errors: 409 with 2141 for a stale version, 403 removing a non-delegate, 400 for oneself, 404 outside the deployment', async () => {
        const stale = await bob.service('application/msrtc-setDelegate+xml', setDelegates(5, 'add'));
        expect(stale.status).toBe(409);
        expect(getHeader(stale, 'ms-diagnostics')).toMatch(/^2141;reason="Delegate version is out of date"/);
        expect((await bob.service('application/msrtc-setDelegate+xml', setDelegates(0, 'remove'))).status).toBe(403);
        expect((await bob.service('application/msrtc-setDelegate+xml', setDelegates(0, 'add').replace('john', 'bob'))).status).toBe(400);
        expect((await bob.service('application/msrtc-setDelegate+xml', setDelegates(0, 'add').replace('john@contoso.com', 'nobody@fabrikam.com'))).status).toBe(404);
      });
    });

    describe('[MS-PRES] §4.8 setSubscribers', () => {
      it('acknowledges a subscriber (200) and notifies the full, now empty, list; unknown subscribers get 400', async () => {
        const p = { pool: w.pool, user: BOB };
        const add = planAddSubscriber({ user: 'sip:alice@contoso.com', displayName: 'Alice', acknowledged: false, sourceNetwork: 'sameEnterprise' }, await listRecords(w.store, p, subscribers))!;
        await commitAndAnnounce({ store: w.store, bus: w.proc.adapters.bus, pool: w.pool, logger: quietLogger }, p, [add], { subscribers: true });
        await bob.selfSubscribe();
        expect(bob.sipLast().body.toString()).toContain('<subscriber user="alice@contoso.com" displayName="Alice" acknowledged="false" type="sameEnterprise"/>');
        const body = '<setSubscribers xmlns="http://schemas.microsoft.com/2006/09/sip/presence-subscribers"><subscriber user="alice@contoso.com" acknowledged="true"/></setSubscribers>';
        expect((await bob.service('application/msrtc-presence-setsubscriber+xml', body)).status).toBe(200);
        const n = await bob.nextNotify();
        expect(canonical(n.body.toString())).toEqual(canonical(`<roamingData ${ROAMING_NS}><subscribers xmlns="http://schemas.microsoft.com/2006/09/sip/presence-subscribers"/></roamingData>`));
        expect((await bob.service('application/msrtc-presence-setsubscriber+xml', body.replace('alice', 'zed'))).status).toBe(400);
      });
    });

    describe('two endpoints and concurrency', () => {
      it('delivers a publish from one endpoint to the other endpoint’s self dialog', async () => {
        const second = await connect(BOB, 'f0f0f0f0f0');
        await second.register();
        await second.selfSubscribe();
        second.sip.received.length = 0;
        const t0 = performance.now();
        expect((await bob.service(PUBLISH, publishNote(0))).status).toBe(200);
        const n: SipRequest = await second.nextNotify();
        expect(performance.now() - t0).toBeLessThan(1000);
        expect(canonical(n.body.toString())).toEqual(canonical(EXAMPLE_421_200(1)));
      });

      it('lets exactly one of 50 clients racing on the same instance and version win; the others get 409 with the winner’s data', async () => {
        expect((await bob.service(PUBLISH, publishNote(0, 'start'))).status).toBe(200);
        const racers = await Promise.all(Array.from({ length: 50 }, (_, i) => connect(BOB, `racer${i}`)));
        const results = await Promise.all(racers.map((r, i) => r.service(PUBLISH, publishNote(1, `writer-${i}`))));
        const winners = results.flatMap((r, i) => (r.status === 200 ? [i] : []));
        expect(winners).toHaveLength(1);
        expect(results.filter((r) => r.status === 409)).toHaveLength(49);
        for (const r of results.filter((x) => x.status === 409)) expect(r.body.toString()).toContain(`writer-${winners[0]}`);
        const rec = await getRecord(w.store, { pool: w.pool, user: BOB }, publications, '200:note:0');
        expect(rec?.version).toBe(2);
        expect(rec?.value.data).toContain(`writer-${winners[0]}`);
      });
    });
  });
}
