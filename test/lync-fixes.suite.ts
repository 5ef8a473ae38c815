import { getHeader, type SipMessage } from '@presence/sip';
import { contactLists, dialogs, dialogSubscriptions, listRecords, put, watchers, type Partition } from '@presence/state';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LyncClient } from './support/lync-client.js';
import { libpurpleParts, parts } from './support/multipart.js';
import type { World } from './support/world.js';

const ALICE = 'sip:alice@contoso.com';
const BOB = 'sip:bob@contoso.com';
const CAROL = 'sip:carol@contoso.com';
const SOAP_NS = 'xmlns:m="http://schemas.microsoft.com/winrtc/2002/11/sip"';
const soap = (inner: string) =>
  `<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body>${inner}</SOAP-ENV:Body></SOAP-ENV:Envelope>`;
const setContact = (uri: string, delta: number) =>
  soap(`<m:setContact ${SOAP_NS}><m:displayName/><m:groups>1</m:groups><m:subscribed>true</m:subscribed><m:URI>${uri}</m:URI><m:externalURI/><m:deltaNum>${delta}</m:deltaNum></m:setContact>`);
const note = (user: string, text: string) =>
  `<publish xmlns="http://schemas.microsoft.com/2006/09/sip/rich-presence"><publications uri="${user}"><publication categoryName="note" instance="0" container="400" version="0" expireType="static"><note xmlns="http://schemas.microsoft.com/2006/09/sip/note"><body type="personal" uri="">${text}</body></note></publication></publications></publish>`;

/** A SUBSCRIBE to one of the user's own packages on a new dialog, as Lync-family clients send them after REGISTER. */
const ownSubscribe = (c: LyncClient, event: string, accept: string, o: { expires?: number; body?: string } = {}) => c.subscribeOwn(event, accept, { ...o, fresh: true });

/**
 * Checks the multipart layout byte for byte: every delimiter after the first follows an empty line
 * (the part's own CRLF, then the delimiter's), as in [MS-PRES] §4.5; a libpurple-style reader that
 * drops the four bytes before each delimiter still gets whole XML documents.
 */
export function expectLibpurpleReadable(m: SipMessage): void {
  const ct = getHeader(m, 'Content-Type')!;
  const boundary = /boundary=([^;\s]+)/.exec(ct)![1]!;
  const text = m.body.toString('utf8');
  expect(Number(getHeader(m, 'Content-Length'))).toBe(m.body.length);
  const delimiters = [...text.matchAll(new RegExp(`--${boundary}`, 'g'))].map((x) => x.index);
  expect(delimiters.length).toBeGreaterThanOrEqual(2);
  expect(delimiters[0]).toBe(0);
  for (const at of delimiters.slice(1)) expect(text.slice(at - 4, at)).toBe('\r\n\r\n');
  expect(text.endsWith(`\r\n\r\n--${boundary}--\r\n`)).toBe(true);
  const read = libpurpleParts(m);
  expect(read.length).toBe(delimiters.length - 1);
  for (const body of read) expect(body).toMatch(/(<\/categories>|<\/list>|<list [^>]*\/>)$/);
}

const poolGruuOf = (w: World) => new RegExp(`^<sip:[^>@]+@contoso\\.com;gruu;opaque=srvr:HomeServer:${w.pool}>$`);

/** Issue 11: what a real Lync-family client (pidgin-sipe) trips on. */
export function lyncFixesSuite(name: string, makeWorld: () => Promise<World>): void {
  describe(`Lync-family client fixes: ${name}`, () => {
    let w: World;
    const clients: LyncClient[] = [];
    const connect = async (user: string, epid: string, register = true) => {
      const c = await LyncClient.connect(w.ports.tcp, user, epid);
      clients.push(c);
      if (register) await c.register();
      return c;
    };
    const of = (user: string): Partition => ({ pool: w.pool, user });
    const dialogsOf = async (user: string, epid: string) => (await listRecords(w.store, of(user), dialogs)).filter((d) => d.value.epid === epid);
    const watchersOf = async (publisher: string, subscriber: string) => (await listRecords(w.store, of(publisher), watchers)).filter((x) => x.value.subscriber === subscriber);
    const until = async (what: string, cond: () => Promise<boolean>, ms = 4000) => {
      const end = Date.now() + ms;
      while (!(await cond())) {
        if (Date.now() > end) throw new Error(`not in ${ms} ms: ${what}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };

    beforeEach(async () => {
      w = await makeWorld();
    });
    afterEach(async () => {
      for (const c of clients.splice(0)) c.close();
      await w.stop();
    });

    it('batch 200 and first NOTIFY: each part ends with CRLF CRLF, so a libpurple reader gets whole XML; SUBSCRIBE 200s carry the pool GRUU as Contact and a To tag naming their owner', async () => {
      const bob = await connect(BOB, 'b1');
      expect((await bob.service('application/msrtc-category-publish+xml', note(BOB, 'at my desk'))).status).toBe(200);
      const alice = await connect(ALICE, 'a1');

      const batch = await alice.categorySubscribe([{ uri: BOB }, { uri: CAROL }]);
      expect(batch.status).toBe(200);
      expectLibpurpleReadable(batch);
      expect(libpurpleParts(batch)[1]).toMatch(/^<categories [^>]*uri="sip:bob@contoso.com"/);
      expect(getHeader(batch, 'Contact')).toMatch(poolGruuOf(w));
      expect(getHeader(batch, 'To')).toMatch(/;tag=[0-9A-F]{8}$/);

      // Without piggybacking, the first NOTIFY carries the same layout.
      const desk = await connect(ALICE, 'a2');
      const plain = await desk.categorySubscribe([{ uri: BOB }], { piggyback: false });
      expect(plain.status).toBe(200);
      expect(plain.body.length).toBe(0);
      const first = await desk.nextNotify(5000, (m) => getHeader(m, 'Event') === 'presence');
      expectLibpurpleReadable(first);
      expect(parts(first).map((p) => p.headers['content-type'])).toEqual(['application/rlmi+xml', 'application/msrtc-event-categories+xml']);

      for (const res of [await alice.selfSubscribe(), await ownSubscribe(alice, 'vnd-microsoft-roaming-contacts', 'application/vnd-microsoft-roaming-contacts+xml')]) {
        expect(res.status).toBe(200);
        expect(getHeader(res, 'Contact')).toMatch(poolGruuOf(w));
      }
      // Refusals create no dialog: no Contact.
      expect(getHeader(await alice.categorySubscribe([{ uri: BOB }], { expires: 5 }), 'Contact')).toBeUndefined();
    });

    it('provisioning: the polled 200 names its body with ms-piggyback-cseq; ServerConfiguration values are child elements, other groups propertyEntryList/property', async () => {
      const alice = await connect(ALICE, 'a1');
      const prov = await ownSubscribe(alice, 'vnd-microsoft-provisioning-v2', 'application/vnd-microsoft-roaming-provisioning-v2+xml', {
        expires: 0,
        body: '<provisioningGroupList xmlns="http://schemas.microsoft.com/2006/09/sip/provisiongrouplist"><provisioningGroup name="ServerConfiguration"/><provisioningGroup name="persistentChatConfiguration"/><provisioningGroup name="ucPolicy"/></provisioningGroupList>',
      });
      expect(prov.status).toBe(200);
      expect(getHeader(prov, 'Expires')).toBe('0');
      expect(getHeader(prov, 'subscription-state')).toBe('terminated;expires=0');
      expect(getHeader(prov, 'Content-Type')).toBe('application/vnd-microsoft-roaming-provisioning-v2+xml');
      expect(getHeader(prov, 'ms-piggyback-cseq')).toBe(getHeader(prov, 'CSeq')!.split(' ')[0]);
      expect(prov.body.toString()).toBe(
        '<provisionGroupList xmlns="http://schemas.microsoft.com/2006/09/sip/provisiongrouplist-notification">' +
          '<provisionGroup name="ServerConfiguration">' +
          '<focusFactoryUri>sip:alice@contoso.com;gruu;opaque=app:conf:focusfactory</focusFactoryUri>' +
          '<absInternalServerUrl>https://pool1.contoso.com/abs/handler</absInternalServerUrl>' +
          '<absExternalServerUrl>https://external.contoso.com/abs/handler</absExternalServerUrl>' +
          '<mrasUri>sip:mras.contoso.com@contoso.com;gruu;opaque=srvr:MRAS:example</mrasUri>' +
          '</provisionGroup>' +
          '<provisionGroup name="persistentChatConfiguration"><propertyEntryList><property name="persistentChatURI">sip:chat.contoso.com@contoso.com;gruu;opaque=srvr:GroupChat:example</property></propertyEntryList></provisionGroup>' +
          '<provisionGroup name="ucPolicy"><propertyEntryList><property name="EnableCallLogAutoArchiving">false</property></propertyEntryList></provisionGroup>' +
          '</provisionGroupList>',
      );
    });

    it('the sign-out unSUBSCRIBE (in the dialog, no Accept, no body) gets 200 and ends the dialog: no NOTIFY follows, the watcher record is gone', async () => {
      const bob = await connect(BOB, 'b1');
      const alice = await connect(ALICE, 'a1');
      const sub = await alice.categorySubscribe([{ uri: BOB }], { categories: ['note'] });
      expect(sub.status).toBe(200);
      expect(await watchersOf(BOB, ALICE)).toHaveLength(1);
      // A refresh sent to the Contact of the 200 (the pool GRUU) reaches the dialog too.
      const contact = /^<([^>]+)>$/.exec(getHeader(sub, 'Contact')!)![1]!;
      expect((await alice.categorySubscribe([{ uri: BOB }], { categories: ['note'], inDialog: true, requestUri: contact })).status).toBe(200);

      // pidgin-sipe 1.25 sends it to the Contact of the 200 (the pool GRUU), with no Accept.
      const bye = await alice.unsubscribeCategories(contact);
      expect(bye.status).toBe(200);
      expect(getHeader(bye, 'Expires')).toBe('0');
      expect((await dialogsOf(ALICE, 'a1')).filter((d) => d.value.event === 'presence')).toEqual([]);
      expect(await watchersOf(BOB, ALICE)).toEqual([]);
      expect((await listRecords(w.store, of(ALICE), dialogSubscriptions)).length).toBe(0);

      const before = alice.pendingNotifies().length;
      expect((await bob.service('application/msrtc-category-publish+xml', note(BOB, 'after the sign-out'))).status).toBe(200);
      await new Promise((r) => setTimeout(r, 600));
      expect(alice.pendingNotifies().filter((m) => m.body.toString().includes('after the sign-out'))).toEqual([]);
      expect(alice.pendingNotifies().length).toBe(before);
    });

    it('setContact answers a delta whose URI keeps the scheme, the full list writes it without (as Lync Server); a batch SUBSCRIBE naming the contact without it is served as the same user', async () => {
      const alice = await connect(ALICE, 'a1');
      const list = await ownSubscribe(alice, 'vnd-microsoft-roaming-contacts', 'application/vnd-microsoft-roaming-contacts+xml');
      expect(list.body.toString()).toContain('deltaNum="0"');
      expect((await alice.service('application/SOAP+xml', setContact(CAROL, 0))).status).toBe(200);
      const delta = await alice.nextNotify(5000, (m) => getHeader(m, 'Event') === 'vnd-microsoft-roaming-contacts');
      expect(delta.body.toString()).toContain('<addedContact uri="sip:carol@contoso.com" name="" groups="1" subscribed="true" externalURI=""/>');
      const full = await ownSubscribe(alice, 'vnd-microsoft-roaming-contacts', 'application/vnd-microsoft-roaming-contacts+xml', { expires: 0 });
      // The full list writes them without the scheme, as Lync Server does ([MS-PRES] 4.14): pidgin-sipe
      // puts `sip:` in front of every full-list URI (a `sip:` URI there becomes `sip:sip:carol@…`).
      expect(full.body.toString()).toContain('<contact uri="carol@contoso.com"');

      // A list stored before URIs kept their scheme: the same in the full list, with the scheme in deltas.
      await w.store.apply(of(ALICE), [
        put(contactLists, { deltaNum: 7, groups: [{ id: 1, name: '~', externalURI: '' }], contacts: [{ uri: 'john@contoso.com', name: '', groups: [1], subscribed: true, externalURI: '' }] }),
      ]);
      const old = await ownSubscribe(alice, 'vnd-microsoft-roaming-contacts', 'application/vnd-microsoft-roaming-contacts+xml', { expires: 0 });
      expect(old.body.toString()).toBe(
        '<contactList deltaNum="7" ucsMode="disabled"><group id="1" name="~" externalURI=""/><contact uri="john@contoso.com" name="" groups="1" subscribed="true" externalURI=""/></contactList>',
      );
      const del = soap(`<m:deleteContact ${SOAP_NS}><m:URI>sip:john@contoso.com</m:URI><m:deltaNum>7</m:deltaNum></m:deleteContact>`);
      expect((await alice.service('application/SOAP+xml', del)).status).toBe(200);
      const gone = await alice.nextNotify(5000, (m) => m.body.toString().includes('deletedContact'));
      expect(gone.body.toString()).toBe('<contactDelta deltaNum="8" prevDeltaNum="7" ucsMode="disabled"><deletedContact uri="sip:john@contoso.com"/></contactDelta>');

      const batch = await alice.categorySubscribe([{ uri: 'carol@contoso.com' }]);
      expect(batch.status).toBe(200);
      const [rlmi, carol] = parts(batch);
      expect(rlmi!.body).not.toContain('resubscribe');
      expect(carol!.body).toContain('uri="sip:carol@contoso.com"');
      expect(await watchersOf(CAROL, ALICE)).toHaveLength(1);
    });

    it('sign-out ends every dialog of the endpoint and frees its watchers, a SUBSCRIBE that arrives after the un-REGISTER included', async () => {
      await connect(BOB, 'b1');
      const alice = await connect(ALICE, 'a1');
      const other = await connect(ALICE, 'a2');
      expect((await alice.selfSubscribe()).status).toBe(200);
      expect((await ownSubscribe(alice, 'vnd-microsoft-roaming-contacts', 'application/vnd-microsoft-roaming-contacts+xml')).status).toBe(200);
      expect((await alice.categorySubscribe([{ uri: BOB }])).status).toBe(200);
      expect((await other.categorySubscribe([{ uri: BOB }])).status).toBe(200);
      expect(await dialogsOf(ALICE, 'a1')).toHaveLength(3);

      expect((await alice.unregister()).status).toBe(200);
      await until('the endpoint’s dialogs end', async () => (await dialogsOf(ALICE, 'a1')).length === 0);
      // The other endpoint keeps its dialog and its watcher record.
      expect(await dialogsOf(ALICE, 'a2')).toHaveLength(1);
      expect(await watchersOf(BOB, ALICE)).toHaveLength(1);

      // A SUBSCRIBE the signed-out endpoint had in flight: refused, and it leaves nothing behind.
      const late = await alice.categorySubscribe([{ uri: BOB }, { uri: CAROL }]);
      expect(late.status).toBe(481);
      expect(await dialogsOf(ALICE, 'a1')).toEqual([]);
      expect(await watchersOf(BOB, ALICE)).toHaveLength(1);
      expect(await watchersOf(CAROL, ALICE)).toEqual([]);

      // Racing: SUBSCRIBEs and the un-REGISTER at once; whichever wins, nothing of a3 stays.
      for (let i = 0; i < 3; i++) {
        const racer = await connect(ALICE, `r${i}`);
        const results = await Promise.all([racer.categorySubscribe([{ uri: CAROL }]), racer.selfSubscribe(), racer.unregister()]);
        expect(results[2].status).toBe(200);
        await until(`endpoint r${i} leaves nothing`, async () => (await dialogsOf(ALICE, `r${i}`)).length === 0 && (await watchersOf(CAROL, ALICE)).length === 0);
      }

      // Signing in again with the same endpoint id works as before.
      await alice.register();
      expect((await alice.categorySubscribe([{ uri: BOB }])).status).toBe(200);
      expect(await dialogsOf(ALICE, 'a1')).toHaveLength(1);
    });
  });
}
