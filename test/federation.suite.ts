import { getHeader, type SipRequest } from '@presence/sip';
import { getRecord, listRecords, publications, subscribers, type Partition } from '@presence/state';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LyncClient } from './support/lync-client.js';
import { PidfClient, pidfDoc, type Dialog } from './support/pidf-client.js';
import type { World } from './support/world.js';
import { canonical } from './support/xml.js';

const BOB = 'sip:bob@contoso.com';
const CAROL = 'sip:carol@contoso.com';
const JOHN = 'sip:john@contoso.com';
const ALICE = 'sip:alice@contoso.com';
const FAB_ALICE = 'sip:alice@fabrikam.com';
const PUBLISH = 'application/msrtc-category-publish+xml';
const MEMBERS = 'application/msrtc-setcontainermembers+xml';
const STATE_NS = 'xmlns="http://schemas.microsoft.com/2006/09/sip/state" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';

const publish = (user: string, pubs: string) => `<publish xmlns="http://schemas.microsoft.com/2006/09/sip/rich-presence"><publications uri="${user}">${pubs}</publications></publish>`;
const machineState = (version: number, availability: number) =>
  `<publication categoryName="state" instance="1000" container="2" version="${version}" expireType="endpoint"><state ${STATE_NS} manual="false" xsi:type="machineState"><availability>${availability}</availability></state></publication>`;
const userState = (version: number, availability: number, token?: string) =>
  `<publication categoryName="state" instance="536870912" container="2" version="${version}" expireType="static"><state ${STATE_NS} manual="true" xsi:type="userState"><availability>${availability}</availability>${token ? `<activity token="${token}"/>` : ''}</state></publication>`;
const members = (id: number, m: string) => `<setContainerMembers xmlns="http://schemas.microsoft.com/2006/09/sip/container-management"><container id="${id}" version="0">${m}</container></setContainerMembers>`;

/** [MS-PRES] §4.10's NOTIFY body, less linked-identities and cid (Skype identities this server has none of), with the directory's display name. */
const EXAMPLE_410 = (displayName: string) => `<?xml version="1.0" encoding="utf-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf"
          xmlns:ep="urn:ietf:params:xml:ns:pidf:status:rpid-status"
          xmlns:et="urn:ietf:params:xml:ns:pidf:rpid-tuple"
          xmlns:ci="urn:ietf:params:xml:ns:pidf:cipid"
          entity="sip:bob@contoso.com">
  <tuple id="0">
    <status>
      <basic>open</basic>
      <ep:activities>
        <ep:activity>away</ep:activity>
      </ep:activities>
    </status>
  </tuple>
  <ci:display-name>${displayName}</ci:display-name>
</presence>`;

/** [MS-PRES] §4.11's documents, less email and phoneNumber (the directory has none for bob). */
const EXAMPLE_411 = (aggregates: [number, number], avail: number, state: string) => `<presentity uri="bob@contoso.com" xmlns=
            "http://schemas.microsoft.com/2002/09/sip/presence"
            xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <availability aggregate="${aggregates[0]}" />
  <activity aggregate="${aggregates[1]}" />
  <displayName displayName="Bob" />
  <aggregate>
    <states>
      <state avail="${avail}" xsi:type="userState">${state}</state>
    </states>
  </aggregate>
</presentity>`;

const header = (m: SipRequest | { headers: { name: string; value: string }[] }, name: string) => getHeader(m as SipRequest, name);
const body = (m: { body: Buffer }) => m.body.toString('utf8');
const basicOf = (xml: string) => /<basic>(\w+)<\/basic>/.exec(xml)?.[1];
const activityOf = (xml: string) => /<ep:activity>([^<]+)<\/ep:activity>/.exec(xml)?.[1];
const noteOf = (xml: string) => /<note>([^<]*)<\/note>/.exec(xml)?.[1];

/** Issue 14 items 1-3 against a world (embedded or clustered). */
export function federationSuite(name: string, makeWorld: () => Promise<World>): void {
  describe(`standard SIP clients (PIDF, MSRTC, winfo): ${name}`, () => {
    let w: World;
    const clients: { close(): void }[] = [];
    const lync = async (user: string) => {
      const c = await LyncClient.connect(w.ports.tcp, user);
      clients.push(c);
      await c.register();
      // The server publications of the sign-in come first; the tests' changes come after them.
      await expect.poll(async () => (await listRecords(w.store, { pool: w.pool, user }, publications)).length, { timeout: 5000 }).toBeGreaterThanOrEqual(8);
      return c;
    };
    const pidf = async (user: string) => {
      const c = await PidfClient.connect(w.ports.tcp, user);
      clients.push(c);
      return c;
    };
    const part = (user: string): Partition => ({ pool: w.pool, user });

    beforeEach(async () => {
      w = await makeWorld();
    });
    afterEach(async () => {
      for (const c of clients.splice(0)) c.close();
      await w.stop();
    });

    it('[MS-PRES] §4.10: a federated PIDF subscriber gets 200, then a NOTIFY with open/away as the example', async () => {
      const bob = await lync(BOB);
      expect((await bob.service(MEMBERS, members(100, '<member action="add" type="federated"/>'))).status).toBe(200);
      expect((await bob.service(PUBLISH, publish(BOB, machineState(0, 3500) + userState(0, 15500)))).status).toBe(200);
      const alice = await pidf(FAB_ALICE);
      const { res, dialog } = await alice.subscribe(BOB, { expires: 16406, headers: [{ name: 'Max-Forwards', value: '67' }] });
      expect(res.status).toBe(200);
      expect(header(res, 'Expires')).toBe('16406');
      expect(dialog.toTag).toMatch(/^fed-[0-9A-F]{8}$/);
      const n = await alice.nextNotify(dialog);
      expect(header(n, 'CSeq')).toBe('1 NOTIFY');
      expect(header(n, 'From')).toBe(`<${BOB}>;tag=${dialog.toTag}`);
      expect(header(n, 'To')).toBe(`<${FAB_ALICE}>;tag=${dialog.fromTag}`);
      expect(header(n, 'Event')).toBe('presence');
      expect(header(n, 'Content-Type')).toBe('application/pidf+xml');
      expect(header(n, 'subscription-state')).toBe('active;expires=16406');
      expect(canonical(body(n))).toEqual(canonical(EXAMPLE_410('Bob')));
      // §3.7.5.3: the subscriber is in bob's subscriber list, from the federated network.
      const listed = await getRecord(w.store, part(BOB), subscribers, FAB_ALICE);
      expect(listed?.value).toMatchObject({ user: FAB_ALICE, acknowledged: false, sourceNetwork: 'federated' });
      // §3.7.5.3: acknowledging a PIDF subscriber does not remove it; it stays, acknowledged.
      const ack = '<setSubscribers xmlns="http://schemas.microsoft.com/2006/09/sip/presence-subscribers"><subscriber user="alice@fabrikam.com" acknowledged="true"/></setSubscribers>';
      expect((await bob.service('application/msrtc-presence-setsubscriber+xml', ack)).status).toBe(200);
      await expect.poll(async () => (await getRecord(w.store, part(BOB), subscribers, FAB_ALICE))?.value.acknowledged, { timeout: 3000 }).toBe(true);
    });

    it('[MS-PRES] §4.11: an MSRTC subscriber gets the document piggybacked in the 200, then a NOTIFY (CSeq 2) when bob is busy', async () => {
      const bob = await lync(BOB);
      expect((await bob.service(MEMBERS, members(100, '<member action="add" type="federated"/>'))).status).toBe(200);
      expect((await bob.service(PUBLISH, publish(BOB, machineState(0, 3500)))).status).toBe(200);
      const alice = await pidf(FAB_ALICE);
      const { res, dialog } = await alice.subscribe(BOB, {
        accept: 'application/xpidf+xml, text/xml+msrtc.pidf, application/pidf+xml',
        headers: [
          { name: 'Supported', value: 'ms-benotify' },
          { name: 'Proxy-Require', value: 'ms-benotify' },
          { name: 'Supported', value: 'ms-piggyback-first-notify' },
        ],
      });
      expect(res.status).toBe(200);
      expect(header(res, 'Content-Type')).toBe('text/xml+msrtc.pidf');
      expect(header(res, 'Event')).toBe('presence');
      expect(header(res, 'ms-piggyback-cseq')).toBe('1');
      expect(header(res, 'Supported')).toBe('ms-piggyback-first-notify');
      expect(header(res, 'subscription-state')).toBe(`active;expires=${header(res, 'Expires')}`);
      expect(canonical(body(res))).toEqual(canonical(EXAMPLE_411([300, 400], 3500, 'online')));
      expect((await bob.service(PUBLISH, publish(BOB, userState(0, 6500)))).status).toBe(200);
      const n = await alice.nextNotify(dialog);
      expect(header(n, 'CSeq')).toBe('2 NOTIFY');
      expect(header(n, 'Content-Type')).toBe('text/xml+msrtc.pidf');
      expect(header(n, 'subscription-state')).toMatch(/^active;expires=\d+$/);
      expect(canonical(body(n))).toEqual(canonical(EXAMPLE_411([300, 600], 6500, 'busy')));
    });

    it('a blocked PIDF or MSRTC watcher gets exactly what a watcher of an offline user gets', async () => {
      const bob = await lync(BOB);
      expect((await bob.service(MEMBERS, members(200, '<member action="add" type="sameEnterprise"/>'))).status).toBe(200);
      expect((await bob.service(MEMBERS, members(32000, '<member action="add" type="user" value="john@contoso.com"/>'))).status).toBe(200);
      expect((await bob.service(PUBLISH, publish(BOB, machineState(0, 3500)))).status).toBe(200);
      const john = await pidf(JOHN);
      const seen = async (target: string, accept: string) => {
        const { res, dialog } = await john.subscribe(target, { accept });
        expect(res.status).toBe(200);
        return body(await john.nextNotify(dialog));
      };
      const blocked = await seen(BOB, 'application/pidf+xml');
      const offline = await seen(CAROL, 'application/pidf+xml');
      expect(basicOf(blocked)).toBe('closed');
      expect(blocked.replace(BOB, CAROL)).toBe(offline);
      const blockedMsrtc = await seen(BOB, 'text/xml+msrtc.pidf');
      const offlineMsrtc = await seen(CAROL, 'text/xml+msrtc.pidf');
      expect(blockedMsrtc).toContain('avail="18500"');
      expect(blockedMsrtc.replace('bob@', 'carol@')).toBe(offlineMsrtc);
      // A colleague who is not blocked sees bob online, until bob blocks her too: that alone notifies.
      const alice = await pidf(ALICE);
      const { dialog } = await alice.subscribe(BOB);
      expect(basicOf(body(await alice.nextNotify(dialog)))).toBe('open');
      const blockAlice = '<setContainerMembers xmlns="http://schemas.microsoft.com/2006/09/sip/container-management"><container id="32000" version="1"><member action="add" type="user" value="alice@contoso.com"/></container></setContainerMembers>';
      expect((await bob.service(MEMBERS, blockAlice)).status).toBe(200);
      const n = await alice.nextNotify(dialog, 1000);
      expect(header(n, 'CSeq')).toBe('2 NOTIFY');
      expect(body(n)).toBe(blocked);
    });

    it('a Lync-style publish of Away reaches a PIDF watcher as RPID away within 1 s, the note as <note>; nothing is sent when the document does not change', async () => {
      const bob = await lync(BOB);
      expect((await bob.service(MEMBERS, members(200, '<member action="add" type="sameEnterprise"/>'))).status).toBe(200);
      expect((await bob.service(PUBLISH, publish(BOB, machineState(0, 3500)))).status).toBe(200);
      const john = await pidf(JOHN);
      const { dialog } = await john.subscribe(BOB);
      const first = body(await john.nextNotify(dialog));
      expect([basicOf(first), activityOf(first)]).toEqual(['open', undefined]);
      // The note the watcher's container shows is the PIDF <note> (RFC 3863 §4.1.6): a note alone notifies.
      const note = (v: number, text: string) =>
        publish(BOB, `<publication categoryName="note" instance="0" container="200" version="${v}" expireType="static"><note xmlns="http://schemas.microsoft.com/2006/09/sip/note"><body type="personal" uri="">${text}</body></note></publication>`);
      expect((await bob.service(PUBLISH, note(0, 'hi'))).status).toBe(200);
      const noted = await john.nextNotify(dialog, 1000);
      expect(header(noted, 'CSeq')).toBe('2 NOTIFY');
      expect([basicOf(body(noted)), noteOf(body(noted))]).toEqual(['open', 'hi']);
      const t0 = Date.now();
      expect((await bob.service(PUBLISH, publish(BOB, userState(0, 15500)))).status).toBe(200);
      const n = await john.nextNotify(dialog, 1000);
      expect(Date.now() - t0).toBeLessThan(1000);
      expect(header(n, 'CSeq')).toBe('3 NOTIFY');
      expect([basicOf(body(n)), activityOf(body(n)), noteOf(body(n))]).toEqual(['open', 'away', 'hi']);
      expect((await bob.service(PUBLISH, publish(BOB, userState(1, 6500, 'on-the-phone')))).status).toBe(200);
      const phone = await john.nextNotify(dialog, 1000);
      expect(activityOf(body(phone))).toBe('on-the-phone');
      // The same note again (a new version, the same text): the document does not change, nothing is sent.
      expect((await bob.service(PUBLISH, note(1, 'hi'))).status).toBe(200);
      await new Promise((r) => setTimeout(r, 300));
      expect(john.pending(dialog)).toEqual([]);
    });

    it('a PIDF PUBLISH of busy reaches a Lync-style watcher in container 200 as availability 6500 within 1 s', async () => {
      const carolLync = await lync(CAROL);
      expect((await carolLync.service(MEMBERS, members(200, '<member action="add" type="sameEnterprise"/>'))).status).toBe(200);
      const alice = await lync(ALICE);
      const sub = await alice.categorySubscribe([{ uri: CAROL }], { single: true, to: CAROL, categories: ['state'] });
      expect(sub.status).toBe(200);
      const carol = await pidf(CAROL);
      const t0 = Date.now();
      const r = await carol.publish(pidfDoc(CAROL, 'open', ['busy']));
      expect(r.status).toBe(200);
      const n = await alice.nextNotify(1000, (m) => /<availability>6500<\/availability>/.test(body(m)));
      expect(Date.now() - t0).toBeLessThan(1000);
      expect(body(n)).toMatch(/^<categories [^>]*uri="sip:carol@contoso.com"><category name="state" instance="1" publishTime="[^"]+"><state xsi:type="aggregateState"[^>]*><availability>6500<\/availability><\/state><\/category><\/categories>$/);
    });

    it('RFC 3903 entity tags: initial, modify, refresh, remove; 412 for a tag that is not (or no longer) held; bad requests', async () => {
      const carol = await pidf(CAROL);
      const p = part(CAROL);
      const stateOf = async () => (await listRecords(w.store, p, publications)).filter((r) => r.value.categoryName === 'state' && r.value.container === 2 && r.value.expireType === 'endpoint').map((r) => r.value.data);
      const legacy200 = async () => (await listRecords(w.store, p, publications)).find((r) => r.value.categoryName === 'legacyInterop' && r.value.container === 200)?.value.data;

      const first = await carol.publish(pidfDoc(CAROL, 'open', ['busy'], 'In a meeting until 3'), { expires: 120 });
      expect(first.status).toBe(200);
      expect(header(first, 'Expires')).toBe('120');
      const e1 = header(first, 'SIP-ETag')!;
      expect(e1).toMatch(/^[0-9a-f]{20}$/);
      expect(await stateOf()).toEqual([expect.stringMatching(/<availability>6500<\/availability>/)]);
      expect(await legacy200()).toBe('<legacyInterop xmlns="http://schemas.microsoft.com/2006/09/sip/categories" availability="6500"/>');
      const notes = (await listRecords(w.store, p, publications)).filter((r) => r.value.categoryName === 'note').map((r) => r.value.container).sort();
      expect(notes).toEqual([200, 300, 400]);

      const modified = await carol.publish(pidfDoc(CAROL, 'open', ['away']), { etag: e1 });
      expect(modified.status).toBe(200);
      const e2 = header(modified, 'SIP-ETag')!;
      expect(e2).not.toBe(e1);
      expect(header(modified, 'Expires')).toBe('3600');
      expect(await stateOf()).toEqual([expect.stringMatching(/<availability>15500<\/availability><activity token="away"\/>/)]);
      // The note went with the modify that had none.
      expect((await listRecords(w.store, p, publications)).filter((r) => r.value.categoryName === 'note')).toEqual([]);
      expect((await carol.publish(pidfDoc(CAROL, 'open'), { etag: e1 })).status).toBe(412);

      const refreshed = await carol.publish(undefined, { etag: e2, expires: 600 });
      expect(refreshed.status).toBe(200);
      expect(header(refreshed, 'Expires')).toBe('600');
      const e3 = header(refreshed, 'SIP-ETag')!;
      expect(e3).not.toBe(e2);
      expect(await stateOf()).toEqual([expect.stringMatching(/<availability>15500<\/availability>/)]);
      expect((await carol.publish(undefined, { etag: e2 })).status).toBe(412);

      const removed = await carol.publish(undefined, { etag: e3, expires: 0 });
      expect(removed.status).toBe(200);
      expect(header(removed, 'Expires')).toBe('0');
      expect(await stateOf()).toEqual([]);
      expect((await carol.publish(undefined, { etag: e3 })).status).toBe(412);
      expect(await legacy200()).toMatch(/availability="18500"/);

      // Bad requests change nothing.
      expect((await carol.publish('hello', { contentType: 'text/plain' })).status).toBe(415);
      expect((await carol.publish('<presence xmlns="urn:ietf:params:xml:ns:pidf"')).status).toBe(400);
      expect((await carol.publish('<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:carol@contoso.com"><tuple id="a"><status><basic>maybe</basic></status></tuple></presence>')).status).toBe(400);
      expect((await carol.publish(undefined)).status).toBe(400);
      expect((await carol.publish(pidfDoc(CAROL, 'open'), { expires: 10 })).status).toBe(423);
      expect((await carol.publish(pidfDoc(CAROL, 'open'), { event: 'dialog' })).status).toBe(489);
      expect(await stateOf()).toEqual([]);
    });

    it('a PIDF publication expires like an endpoint-bound one: its state goes and watchers see closed', async () => {
      const carol = await pidf(CAROL);
      const john = await pidf(JOHN);
      const r = await carol.publish(pidfDoc(CAROL, 'open'), { expires: 60 });
      expect(r.status).toBe(200);
      const { dialog } = await john.subscribe(CAROL);
      expect(basicOf(body(await john.nextNotify(dialog)))).toBe('open');
      // Let the publication's time run out now rather than in a minute.
      for (const rec of await listRecords(w.store, part(CAROL), publications)) {
        if (rec.value.expireType === 'endpoint') await w.store.apply(part(CAROL), [{ op: 'put', collection: 'pub', id: rec.id, value: rec.value, expect: rec.version, expiresAt: Date.now() }]);
      }
      const n = await john.nextNotify(dialog, 3000);
      expect(basicOf(body(n))).toBe('closed');
    });

    it('a registered standard client that signs out takes its PIDF publication and its dialogs with it', async () => {
      const carol = await pidf(CAROL);
      expect((await carol.register()).status).toBe(200);
      expect((await carol.publish(pidfDoc(CAROL, 'open', ['busy']))).status).toBe(200);
      const own = await carol.subscribe(JOHN);
      await carol.nextNotify(own.dialog);
      const john = await pidf(JOHN);
      const watch = await john.subscribe(CAROL);
      expect(activityOf(body(await john.nextNotify(watch.dialog)))).toBe('busy');
      const bye = await carol.request('REGISTER', { uri: 'sip:contoso.com', headers: [{ name: 'Contact', value: `<${carol.contact}>` }, { name: 'Expires', value: '0' }] });
      expect(bye.status).toBe(200);
      expect(basicOf(body(await john.nextNotify(watch.dialog, 3000)))).toBe('closed');
      await expect.poll(async () => (await listRecords(w.store, part(CAROL), { name: 'fdia', idOf: () => '' })).length, { timeout: 3000 }).toBe(0);
      await expect.poll(async () => (await listRecords(w.store, part(JOHN), { name: 'fwat', idOf: () => '' })).length, { timeout: 3000 }).toBe(0);
    });

    it('a registered client’s PIDF state names its endpoint (+sip.instance as endpointId, [MS-PRES] §2.2.2.1), on the first publish and on each modify', async () => {
      const carol = await pidf(CAROL);
      const uuid = '3b2b5f8e-8c3a-4c1e-9d7a-2f1e0c9b8a71';
      const reg = await carol.request('REGISTER', { uri: 'sip:contoso.com', headers: [{ name: 'Contact', value: `<${carol.contact}>;+sip.instance="<urn:uuid:${uuid}>"` }, { name: 'Expires', value: '3600' }] });
      expect(reg.status).toBe(200);
      const stateOf = async () => (await listRecords(w.store, part(CAROL), publications)).find((r) => r.value.categoryName === 'state' && r.value.container === 2 && Number(r.value.instance) >= 0x40000000);
      const first = await carol.publish(pidfDoc(CAROL, 'open', ['busy']));
      expect(first.status).toBe(200);
      expect((await stateOf())?.value.endpointId).toBe(uuid);
      const modify = await carol.publish(pidfDoc(CAROL, 'open', ['away']), { etag: header(first, 'SIP-ETag')! });
      expect(modify.status).toBe(200);
      const after = await stateOf();
      expect(after?.value.data).toContain('<availability>15500</availability>');
      expect(after?.value.endpointId).toBe(uuid);
    });

    it('standard clients watch each other: PIDF in, PIDF out (default containers for a user who never set any)', async () => {
      const carol = await pidf(CAROL);
      const john = await pidf(JOHN);
      const fab = await pidf(FAB_ALICE);
      const published = await carol.publish(pidfDoc(CAROL, 'open', ['on-the-phone']));
      expect(published.status).toBe(200);
      const { dialog } = await john.subscribe(CAROL);
      const first = body(await john.nextNotify(dialog));
      expect([basicOf(first), activityOf(first)]).toEqual(['open', 'on-the-phone']);
      expect(first).toContain('<ci:display-name>Carol</ci:display-name>');
      const e = (await carol.publish(pidfDoc(CAROL, 'open', ['vacation']), { etag: header(published, 'SIP-ETag')! })).status;
      expect(e).toBe(200);
      const next = body(await john.nextNotify(dialog, 1000));
      expect([basicOf(next), activityOf(next)]).toEqual(['open', 'away']);
      // A federated user sees container 100 of a user without containers, which has the state too.
      const f = await fab.subscribe(CAROL);
      expect(activityOf(body(await fab.nextNotify(f.dialog)))).toBe('away');
    });

    it('refresh, unsubscribe, polling, 481 on an unknown dialog, 423, 406 and 404', async () => {
      const carol = await pidf(CAROL);
      expect((await carol.publish(pidfDoc(CAROL, 'open'))).status).toBe(200);
      const john = await pidf(JOHN);
      const { res, dialog } = await john.subscribe(CAROL, { expires: 600 });
      expect(res.status).toBe(200);
      expect(header(res, 'Contact')).toMatch(/^<sip:/);
      await john.nextNotify(dialog);
      const refresh = await john.resubscribe(dialog, 900);
      expect(refresh.status).toBe(200);
      expect(header(refresh, 'Expires')).toBe('900');
      const rn = await john.nextNotify(dialog);
      expect(header(rn, 'CSeq')).toBe('2 NOTIFY');
      expect(header(rn, 'subscription-state')).toBe('active;expires=900');
      const un = await john.resubscribe(dialog, 0);
      expect(un.status).toBe(200);
      const last = await john.nextNotify(dialog);
      expect(header(last, 'CSeq')).toBe('3 NOTIFY');
      expect(header(last, 'subscription-state')).toBe('terminated');
      expect(basicOf(body(last))).toBe('open');
      expect((await john.resubscribe(dialog, 600)).status).toBe(481);
      expect(await listRecords(w.store, part(JOHN), { name: 'fdia', idOf: () => '' })).toEqual([]);
      expect(await listRecords(w.store, part(CAROL), { name: 'fwat', idOf: () => '' })).toEqual([]);

      const poll = await john.subscribe(CAROL, { expires: 0 });
      expect(poll.res.status).toBe(200);
      expect(header(poll.res, 'Expires')).toBe('0');
      const pn = await john.nextNotify(poll.dialog);
      expect(header(pn, 'subscription-state')).toBe('terminated;reason=timeout');
      expect(basicOf(body(pn))).toBe('open');
      expect(await listRecords(w.store, part(JOHN), { name: 'fdia', idOf: () => '' })).toEqual([]);

      expect((await john.subscribe(CAROL, { expires: 30 })).res.status).toBe(423);
      const notAcceptable = await john.subscribe(CAROL, { accept: 'application/xpidf+xml' });
      expect(notAcceptable.res.status).toBe(406);
      expect(header(notAcceptable.res, 'Accept')).toBe('text/xml+msrtc.pidf, application/pidf+xml');
      const withRequire = await john.subscribe(CAROL, { headers: [{ name: 'Require', value: 'eventlist' }] });
      expect(withRequire.res.status).toBe(420);
      expect(header(withRequire.res, 'Unsupported')).toBe('eventlist');
      const noContact = await john.request('SUBSCRIBE', { to: CAROL, headers: [{ name: 'Event', value: 'presence' }, { name: 'Accept', value: 'application/pidf+xml' }] });
      expect(noContact.status).toBe(400);
      expect(await listRecords(w.store, part(JOHN), { name: 'fdia', idOf: () => '' })).toEqual([]);
      expect((await john.subscribe('sip:nobody@contoso.com')).res.status).toBe(404);
      expect((await john.subscribe('sip:bob@fabrikam.com')).res.status).toBe(404);
    });

    it('a subscription whose time runs out gets a final NOTIFY (terminated;reason=timeout) and ends', async () => {
      const john = await pidf(JOHN);
      const { dialog } = await john.subscribe(CAROL, { expires: 600 });
      await john.nextNotify(dialog);
      const [rec] = await listRecords(w.store, part(JOHN), { name: 'fdia', idOf: () => '' });
      await w.store.apply(part(JOHN), [{ op: 'put', collection: 'fdia', id: rec!.id, value: rec!.value, expect: rec!.version, expiresAt: Date.now() }]);
      const n = await john.nextNotify(dialog, 3000);
      expect(header(n, 'subscription-state')).toBe('terminated;reason=timeout');
      expect(await listRecords(w.store, part(CAROL), { name: 'fwat', idOf: () => '' })).toEqual([]);
    });

    it('a subscriber that answers a NOTIFY with 481 is dropped', async () => {
      const carol = await pidf(CAROL);
      const published = await carol.publish(pidfDoc(CAROL, 'open'));
      expect(published.status).toBe(200);
      const john = await pidf(JOHN);
      const { dialog } = await john.subscribe(CAROL);
      await john.nextNotify(dialog);
      john.notifyStatus = 481;
      expect((await carol.publish(pidfDoc(CAROL, 'closed'), { etag: header(published, 'SIP-ETag')! })).status).toBe(200);
      await john.nextNotify(dialog);
      await expect.poll(async () => (await listRecords(w.store, part(JOHN), { name: 'fdia', idOf: () => '' })).length, { timeout: 5000 }).toBe(0);
      await expect.poll(async () => (await listRecords(w.store, part(CAROL), { name: 'fwat', idOf: () => '' })).length, { timeout: 5000 }).toBe(0);
    });

    it('a subscriber whose connection is gone is dropped at the next change', async () => {
      const carol = await pidf(CAROL);
      const published = await carol.publish(pidfDoc(CAROL, 'open'));
      const john = await pidf(JOHN);
      const { dialog } = await john.subscribe(CAROL);
      await john.nextNotify(dialog);
      john.close();
      await new Promise((r) => setTimeout(r, 100));
      expect((await carol.publish(pidfDoc(CAROL, 'open', ['away']), { etag: header(published, 'SIP-ETag')! })).status).toBe(200);
      await expect.poll(async () => (await listRecords(w.store, part(JOHN), { name: 'fdia', idOf: () => '' })).length, { timeout: 3000 }).toBe(0);
      await expect.poll(async () => (await listRecords(w.store, part(CAROL), { name: 'fwat', idOf: () => '' })).length, { timeout: 3000 }).toBe(0);
    });

    it('RFC 3857/3858 presence.winfo over the edge: a user sees the subscriber list as watcher info, updated when someone subscribes', async () => {
      const john = await pidf(JOHN);
      // Only the user may watch their own watchers.
      expect((await john.subscribe(CAROL, { event: 'presence.winfo', accept: 'application/watcherinfo+xml' })).res.status).toBe(403);
      const carol = await pidf(CAROL);
      const { res, dialog } = await carol.subscribe(CAROL, { event: 'presence.winfo', accept: 'application/watcherinfo+xml' });
      expect(res.status).toBe(200);
      expect(dialog.toTag).toMatch(/^fed-[0-9A-F]{8}$/);
      const first = await carol.nextNotify(dialog);
      expect(header(first, 'Content-Type')).toBe('application/watcherinfo+xml');
      expect(header(first, 'Event')).toBe('presence.winfo');
      expect(canonical(body(first))).toEqual(
        canonical('<?xml version="1.0"?><watcherinfo xmlns="urn:ietf:params:xml:ns:watcherinfo" version="0" state="full"><watcher-list resource="sip:carol@contoso.com" package="presence"/></watcherinfo>'),
      );
      expect((await john.subscribe(CAROL)).res.status).toBe(200);
      const second = await carol.nextNotify(dialog);
      expect(header(second, 'CSeq')).toBe('2 NOTIFY');
      expect(body(second)).toMatch(/version="1"/);
      expect(body(second)).toMatch(/<watcher id="[^"]+" status="active" event="subscribe" display-name="John">sip:john@contoso.com<\/watcher>/);
      // The refresh is routed by the federation tag (an in-dialog SUBSCRIBE), whatever it carries.
      expect((await carol.resubscribe(dialog, 0)).status).toBe(200);
    });
  });
}
