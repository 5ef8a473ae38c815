import { getHeader, type SipRequest } from '@presence/sip';
import { listRecords, watchers, dialogs, dialogSubscriptions } from '@presence/state';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LyncClient } from './support/lync-client.js';
import { parts } from './support/multipart.js';
import type { World } from './support/world.js';
import { canonical } from './support/xml.js';

const ALICE = 'sip:alice@contoso.com';
const BOB = 'sip:bob@contoso.com';
const JOHN = 'sip:john@contoso.com';
const PUBLISH = 'application/msrtc-category-publish+xml';
const MEMBERS = 'application/msrtc-setcontainermembers+xml';
const NOTE = (text: string) => `<note xmlns="http://schemas.microsoft.com/2006/09/sip/note"><body type="personal" uri="">${text}</body></note>`;
const publish = (user: string, pubs: string) => `<publish xmlns="http://schemas.microsoft.com/2006/09/sip/rich-presence"><publications uri="${user}">${pubs}</publications></publish>`;
const note = (container: number, version: number, text: string, instance = 0) =>
  `<publication categoryName="note" instance="${instance}" container="${container}" version="${version}" expireType="static">${NOTE(text)}</publication>`;
const members = (id: number, version: number, m: string) => `<setContainerMembers xmlns="http://schemas.microsoft.com/2006/09/sip/container-management"><container id="${id}" version="${version}">${m}</container></setContainerMembers>`;
const RLMI_EMPTY = (uri: string) => `<list xmlns="urn:ietf:params:xml:ns:rlmi" uri="${uri}" version="0" fullState="false"/>`;

/** Issue 5's checks, run against a world (embedded or clustered). */
export function categorySuite(name: string, makeWorld: () => Promise<World>): void {
  describe(`category subscriptions: ${name}`, () => {
    let w: World;
    const clients: LyncClient[] = [];
    const signIn = async (user: string, epid?: string) => {
      const c = await LyncClient.connect(w.ports.tcp, user, epid);
      clients.push(c);
      await c.register();
      return c;
    };
    const quiet = () => new Promise((r) => setTimeout(r, 400));

    beforeEach(async () => {
      w = await makeWorld();
    });
    afterEach(async () => {
      for (const c of clients.splice(0)) c.close();
      await w.stop();
    });

    it('[MS-PRES] §4.5: batch subscribe, add a resource with <context/>, unsubscribe; 200s are rlmi multiparts', async () => {
      const john = await signIn(JOHN, 'j1');
      const bob = await signIn(BOB, 'b1');
      const alice = await signIn(ALICE, '5e434f57d3');
      await bob.selfSubscribe();
      await quiet();
      bob.sip.received.length = 0;

      const first = await alice.categorySubscribe([{ uri: JOHN }]);
      expect(first.status).toBe(200);
      expect(getHeader(first, 'Content-Type')).toMatch(/^multipart\/related; type="application\/rlmi\+xml";start=resourceList; boundary=[0-9a-f]+$/);
      expect(getHeader(first, 'Event')).toBe('presence');
      expect(getHeader(first, 'Require')).toBe('eventlist');
      expect(getHeader(first, 'Expires')).toBe('28800');
      expect(getHeader(first, 'subscription-state')).toBe('active;expires=28800');
      expect(getHeader(first, 'ms-piggyback-cseq')).toBe('2');
      expect(getHeader(first, 'Supported')).toBe('ms-benotify, ms-piggyback-first-notify');
      const [rlmi, john1, ...more] = parts(first);
      expect(more).toEqual([]);
      expect(rlmi!.headers).toEqual({ 'content-transfer-encoding': 'binary', 'content-id': 'resourceList', 'content-type': 'application/rlmi+xml' });
      expect(canonical(rlmi!.body)).toEqual(canonical(RLMI_EMPTY(ALICE)));
      expect(john1!.headers).toEqual({ 'content-transfer-encoding': 'binary', 'content-type': 'application/msrtc-event-categories+xml' });
      // John published nothing but the server's contactCard: the others are empty elements (§1.3.1.3.4).
      expect(canonical(john1!.body)).toEqual(
        canonical(`<categories xmlns="http://schemas.microsoft.com/2006/09/sip/categories" uri="sip:john@contoso.com">
          <category name="calendarData"/>
          <category name="contactCard" instance="0" publishTime="x"><contactCard xmlns="http://schemas.microsoft.com/2006/09/sip/contactcard"><identity><name><displayName>John</displayName></name></identity></contactCard></category>
          <category name="note"/><category name="services"/><category name="state"/></categories>`),
      );

      // In-dialog: add Bob with <context/>; the 200 carries Bob's part only; Bob's self dialog learns of the new subscriber.
      const second = await alice.categorySubscribe([{ uri: BOB, context: '' }], { inDialog: true });
      expect(second.status).toBe(200);
      expect(getHeader(second, 'ms-piggyback-cseq')).toBe('3');
      expect(parts(second).map((p) => /uri="([^"]+)"/.exec(p.body)?.[1])).toEqual([ALICE, BOB]);
      const sub = await bob.nextNotify();
      expect(canonical(sub.body.toString())).toEqual(
        canonical(
          `<roamingData xmlns="http://schemas.microsoft.com/2006/09/sip/roaming-self"><subscribers xmlns="http://schemas.microsoft.com/2006/09/sip/presence-subscribers"><subscriber user="alice@contoso.com" displayName="Alice" acknowledged="false" type="sameEnterprise"/></subscribers></roamingData>`,
        ),
      );

      // Unsubscribe John: a 200 with only the rlmi list; John's changes no longer reach Alice, Bob's do.
      const third = await alice.categorySubscribe([{ uri: JOHN }], { inDialog: true, action: 'unsubscribe' });
      expect(parts(third).map((p) => p.headers['content-id'])).toEqual(['resourceList']);
      expect((await john.service(PUBLISH, publish(JOHN, note(0, 0, 'john here')))).status).toBe(200);
      expect((await bob.service(PUBLISH, publish(BOB, note(0, 0, 'bob here')))).status).toBe(200);
      const n = await alice.nextNotify();
      expect(n.method).toBe('BENOTIFY');
      expect(getHeader(n, 'Event')).toBe('presence');
      expect(getHeader(n, 'Content-Type')).toBe('application/msrtc-event-categories+xml');
      expect(getHeader(n, 'Require')).toBe('eventlist');
      expect(getHeader(n, 'CSeq')).toBe('5 BENOTIFY'); // 2, 3 and 4 went out as ms-piggyback-cseq of the three 200s
      expect(canonical(n.body.toString())).toEqual(
        canonical(`<categories xmlns="http://schemas.microsoft.com/2006/09/sip/categories" uri="sip:bob@contoso.com"><category name="note" instance="0" publishTime="x">${NOTE('bob here')}</category></categories>`),
      );
      await quiet();
      expect(alice.pendingNotifies()).toEqual([]);
    });

    it('[MS-PRES] §4.6: a resource of another deployment comes back as resubscribe; the dialog is not created', async () => {
      const bob = await signIn(BOB, '0b85fd1bd6');
      const res = await bob.categorySubscribe([{ uri: 'sip:john@fabrikam.com' }]);
      expect(res.status).toBe(200);
      expect(getHeader(res, 'Expires')).toBe('0');
      expect(getHeader(res, 'subscription-state')).toBe('terminated;expires=0');
      const [rlmi, ...rest] = parts(res);
      expect(rest).toEqual([]);
      expect(canonical(rlmi!.body)).toEqual(
        canonical(`<list xmlns="urn:ietf:params:xml:ns:rlmi" uri="sip:bob@contoso.com" version="0" fullState="false"><resource uri="sip:john@fabrikam.com"><instance id="0" state="resubscribe" cid="john@fabrikam.com"/></resource></list>`),
      );
      expect(await listRecords(w.store, { pool: w.pool, user: BOB }, dialogs)).toEqual([]);
    });

    it('[MS-PRES] §4.7: a polling subscribe answers with the data and keeps nothing', async () => {
      const john = await signIn(JOHN, 'c05eb044ab');
      const bob = await signIn(BOB, 'b1');
      expect((await bob.service(PUBLISH, publish(BOB, note(0, 0, 'polled')))).status).toBe(200);
      const res = await john.categorySubscribe([{ uri: BOB }], { expires: 0 });
      expect(res.status).toBe(200);
      expect(getHeader(res, 'Expires')).toBe('0');
      expect(getHeader(res, 'subscription-state')).toBe('terminated;expires=0');
      expect(parts(res)[1]!.body).toContain('polled');
      expect(await listRecords(w.store, { pool: w.pool, user: BOB }, watchers)).toEqual([]);
      expect(await listRecords(w.store, { pool: w.pool, user: JOHN }, dialogs)).toEqual([]);
      expect((await bob.service(PUBLISH, publish(BOB, note(0, 1, 'again')))).status).toBe(200);
      await quiet();
      expect(john.pendingNotifies()).toEqual([]);
    });

    it('resolves per subscriber as Lync containers are set up, notifies a move, and nothing when the view did not change (§3.2.5.3)', async () => {
      const bob = await signIn(BOB, 'b1');
      const alice = await signIn(ALICE, 'a1');
      const carol = await signIn('sip:carol@contoso.com', 'c1');
      // Bob's layout: 200 colleagues (sameEnterprise), 400 personal (nobody yet), 32000 blocked (Carol).
      expect((await bob.service(MEMBERS, members(200, 0, '<member type="sameEnterprise"/>'))).status).toBe(200);
      expect((await bob.service(MEMBERS, members(32000, 0, '<member type="user" value="carol@contoso.com"/>'))).status).toBe(200);
      expect((await bob.service(PUBLISH, publish(BOB, note(0, 0, 'public') + note(200, 0, 'colleagues') + note(300, 0, 'team') + note(400, 0, 'personal') + `<publication categoryName="note" instance="0" container="32000" version="0" expireType="static"/>`))).status).toBe(200);
      const viewOf = async (c: LyncClient) => parts(await c.categorySubscribe([{ uri: BOB }], { categories: ['note', 'routing'] }))[1]!.body;
      expect(await viewOf(alice)).toContain('colleagues');
      const carolView = await viewOf(carol);
      expect(canonical(carolView)).toEqual(canonical(`<categories xmlns="http://schemas.microsoft.com/2006/09/sip/categories" uri="sip:bob@contoso.com"><category name="note" instance="0" publishTime="x"/></categories>`));
      expect(carolView).not.toContain('routing'); // private: dropped silently

      // A change Alice cannot see (container 300) notifies nobody.
      expect((await bob.service(PUBLISH, publish(BOB, note(300, 1, 'team v2')))).status).toBe(200);
      await quiet();
      expect(alice.pendingNotifies()).toEqual([]);
      expect(carol.pendingNotifies()).toEqual([]);

      // Moving Alice into 400 (a user member beats sameEnterprise) notifies her with the 400 view only.
      expect((await bob.service(MEMBERS, members(400, 0, '<member type="user" value="alice@contoso.com"/>'))).status).toBe(200);
      const moved = await alice.nextNotify();
      expect(moved.body.toString()).toContain('personal');
      expect(moved.body.toString()).not.toContain('colleagues');
      await quiet();
      expect(carol.pendingNotifies()).toEqual([]);
    });

    it('keeps notifications on a dialog in order: increasing CSeq, the last one carries the last state', async () => {
      const bob = await signIn(BOB, 'b1');
      const alice = await signIn(ALICE, 'a1');
      await alice.categorySubscribe([{ uri: BOB }], { categories: ['note'] });
      for (let v = 0; v < 20; v++) expect((await bob.service(PUBLISH, publish(BOB, note(0, v, `n${v}`)))).status).toBe(200);
      const got: SipRequest[] = [];
      for (;;) {
        const n = await alice.nextNotify(3000).catch(() => undefined);
        if (!n) break;
        got.push(n);
        if (n.body.toString().includes('>n19<')) break;
      }
      const cseqs = got.map((n) => Number(getHeader(n, 'CSeq')!.split(' ')[0]));
      expect(cseqs).toEqual([...cseqs].sort((a, b) => a - b));
      expect(new Set(cseqs).size).toBe(cseqs.length);
      const texts = got.map((n) => Number(/>n(\d+)</.exec(n.body.toString())![1]));
      expect(texts).toEqual([...texts].sort((a, b) => a - b));
      expect(texts.at(-1)).toBe(19);
    });

    it.each([
      ['a batch whose From and To differ', { to: BOB }, [{ uri: BOB }], 403],
      ['a single subscribe with two resources', { single: true, to: BOB }, [{ uri: BOB }, { uri: JOHN }], 400],
      ['a single subscribe whose To is not the resource', { single: true, to: BOB }, [{ uri: JOHN }], 400],
      ['a single subscribe that unsubscribes', { single: true, to: BOB, action: 'unsubscribe' as const }, [{ uri: BOB }], 400],
      ['a single subscribe to a user nobody knows', { single: true, to: 'sip:nobody@contoso.com' }, [{ uri: 'sip:nobody@contoso.com' }], 404],
    ])('refuses %s (§3.4.5.3)', async (_n, o, resources, status) => {
      const alice = await signIn(ALICE, 'a1');
      expect((await alice.categorySubscribe(resources, o)).status).toBe(status);
    });

    it('answers a single subscribe with the resource’s data, and 481 to an unknown dialog', async () => {
      await signIn(BOB, 'b1');
      await quiet(); // Bob's server publications (contactCard) are made at sign-in
      const alice = await signIn(ALICE, 'a1');
      const single = await alice.categorySubscribe([{ uri: BOB }], { single: true, to: BOB, categories: ['contactCard'] });
      expect(single.status).toBe(200);
      expect(parts(single)[1]!.body).toContain('<displayName>Bob</displayName>');
      alice.categoryDialog = { callId: 'nope', toTag: 'NOPE', fromTag: 'x' };
      expect((await alice.categorySubscribe([{ uri: BOB }], { inDialog: true })).status).toBe(481);
    });

    it('keeps one batch dialog per endpoint: a new one ends the old with a terminating NOTIFY', async () => {
      const alice = await signIn(ALICE, 'a1');
      await alice.categorySubscribe([{ uri: BOB }]);
      const old = alice.categoryDialog!;
      alice.categoryDialog = undefined;
      await alice.categorySubscribe([{ uri: JOHN }]);
      const n = await alice.nextNotify(5000, (m) => getHeader(m, 'Call-ID') === old.callId);
      expect(getHeader(n, 'subscription-state')).toBe('terminated;reason=deactivated');
      await expect.poll(async () => (await listRecords(w.store, { pool: w.pool, user: BOB }, watchers)).length).toBe(0);
    });

    it('ends a dialog whose NOTIFY is answered 481, and one whose connection closes, freeing its state', async () => {
      const bob = await signIn(BOB, 'b1');
      const alice = await signIn(ALICE, 'a1');
      await alice.categorySubscribe([{ uri: BOB }], { benotify: false, categories: ['note'] });
      expect((await bob.service(PUBLISH, publish(BOB, note(0, 0, 'x')))).status).toBe(200);
      const n = (await alice.sip.next((m) => m.type === 'request' && m.method === 'NOTIFY')) as SipRequest;
      const { serialize, createResponse } = await import('@presence/sip');
      alice.sip.send(serialize(createResponse(n, 481)));
      await expect.poll(async () => (await listRecords(w.store, { pool: w.pool, user: ALICE }, dialogs)).length, { timeout: 5000 }).toBe(0);
      expect(await listRecords(w.store, { pool: w.pool, user: ALICE }, dialogSubscriptions)).toEqual([]);
      expect(await listRecords(w.store, { pool: w.pool, user: BOB }, watchers)).toEqual([]);

      const carol = await signIn('sip:carol@contoso.com', 'c1');
      await carol.categorySubscribe([{ uri: BOB }], { categories: ['note'] });
      expect(await listRecords(w.store, { pool: w.pool, user: BOB }, watchers)).toHaveLength(1);
      carol.close();
      await expect.poll(async () => (await listRecords(w.store, { pool: w.pool, user: BOB }, watchers)).length, { timeout: 5000 }).toBe(0);
    });
  });
}
