import { getHeader, getHeaders } from '@presence/sip';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LyncClient } from './support/lync-client.js';
import { adminHeaders, type World } from './support/world.js';

const ALICE = 'sip:alice@contoso.com';
const SOAP_NS = 'xmlns:m="http://schemas.microsoft.com/winrtc/2002/11/sip"';
const soap = (inner: string) =>
  `<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body>${inner}</SOAP-ENV:Body></SOAP-ENV:Envelope>`;
const setContact = (uri: string, delta: number, groups = '', name = '') =>
  soap(`<m:setContact ${SOAP_NS}><m:displayName>${name}</m:displayName><m:groups>${groups}</m:groups><m:subscribed>true</m:subscribed><m:URI>${uri}</m:URI><m:externalURI/><m:deltaNum>${delta}</m:deltaNum></m:setContact>`);
const addGroup = (name: string, delta: number) => soap(`<m:addGroup ${SOAP_NS}><m:name>${name}</m:name><m:externalURI /><m:deltaNum>${delta}</m:deltaNum></m:addGroup>`);

/** SUBSCRIBE to one of the user's own packages on a new dialog, as Lync sends them right after REGISTER. */
const ownSubscribe = (c: LyncClient, event: string, accept: string, o: { expires?: number; body?: string } = {}) =>
  c.subscribeOwn(event, accept, { ...o, fresh: true, contentType: 'application/vnd-microsoft-roaming-provisioning-v2+xml' });
const contactsSubscribe = (c: LyncClient, o: { expires?: number } = {}) => ownSubscribe(c, 'vnd-microsoft-roaming-contacts', 'application/vnd-microsoft-roaming-contacts+xml', o);
const contactService = (c: LyncClient, body: string) => c.service('application/SOAP+xml', body);

/** Issue 8's end-to-end checks: the sign-in of a Lync-family client and its contact list. */
export function contactsSuite(name: string, makeWorld: () => Promise<World>): void {
  describe(`contact list and sign-in: ${name}`, () => {
    let w: World;
    const clients: LyncClient[] = [];
    const connect = async (user: string, epid: string) => {
      const c = await LyncClient.connect(w.ports.tcp, user, epid);
      clients.push(c);
      return c;
    };
    const seed = (body: unknown) =>
      fetch(`http://127.0.0.1:${w.proc.httpPort}/admin/users/contacts`, { method: 'PUT', headers: adminHeaders, body: JSON.stringify(body) });

    beforeEach(async () => {
      w = await makeWorld();
    });
    afterEach(async () => {
      for (const c of clients.splice(0)) c.close();
      await w.stop();
    });

    it('plays the whole sign-in: REGISTER, the three own subscriptions, the seeded list, its contacts, publishing; a second endpoint adds a contact and the first gets the delta', async () => {
      const alice = await connect(ALICE, 'a1');
      const reg = await alice.register();
      expect(Number(getHeader(reg, 'Expires'))).toBeGreaterThan(0);
      expect(getHeader(reg, 'Contact')).toMatch(/gruu="sip:alice@contoso\.com;opaque=user:epid:[^"]+;gruu"/);
      const supported = getHeaders(reg, 'Supported');
      for (const tag of ['msrtc-event-categories', 'adhoclist', 'gruu-10']) expect(supported).toContain(tag);
      expect(getHeader(reg, 'Allow-Events')).toMatch(/^[^\s]+$/);
      expect(getHeader(reg, 'Allow-Events')!.split(',')).toEqual(expect.arrayContaining(['presence', 'vnd-microsoft-roaming-self', 'vnd-microsoft-roaming-contacts', 'vnd-microsoft-provisioning-v2']));

      const seeded = await seed({ user: ALICE, groups: [{ name: 'Friends' }], contacts: [{ uri: 'sip:bob@contoso.com', groups: ['Friends'] }, { uri: 'carol@contoso.com', name: 'Carol' }] });
      expect(seeded.status).toBe(200);
      expect(await seeded.json()).toEqual({ deltaNum: 1, groups: 2, contacts: 2 });

      const contacts = await contactsSubscribe(alice);
      expect(contacts.status).toBe(200);
      expect(getHeader(contacts, 'Content-Type')).toBe('application/vnd-microsoft-roaming-contacts+xml');
      expect(getHeader(contacts, 'Event')).toBe('vnd-microsoft-roaming-contacts');
      expect(getHeader(contacts, 'ms-piggyback-cseq')).toBeDefined();
      expect(contacts.body.toString()).toBe(
        '<contactList deltaNum="1" ucsMode="disabled"><group id="1" name="~" externalURI=""/><group id="2" name="Friends" externalURI=""/>' +
          '<contact uri="bob@contoso.com" name="" groups="2" subscribed="true" externalURI=""/><contact uri="carol@contoso.com" name="Carol" groups="1" subscribed="true" externalURI=""/></contactList>',
      );

      const prov = await ownSubscribe(alice, 'vnd-microsoft-provisioning-v2', 'application/vnd-microsoft-roaming-provisioning-v2+xml', {
        expires: 0,
        body: '<provisioningGroupList xmlns="http://schemas.microsoft.com/2006/09/sip/provisiongrouplist"><provisioningGroup name="ServerConfiguration"/><provisioningGroup name="meetingPolicy"/><provisioningGroup name="ucPolicy"/></provisioningGroupList>',
      });
      expect(prov.status).toBe(200);
      expect(getHeader(prov, 'Expires')).toBe('0');
      expect(getHeader(prov, 'Content-Type')).toBe('application/vnd-microsoft-roaming-provisioning-v2+xml');
      // Clients read the body of a SUBSCRIBE response only when ms-piggyback-cseq names it.
      expect(getHeader(prov, 'ms-piggyback-cseq')).toMatch(/^\d+$/);
      expect(prov.body.toString()).toBe(
        '<provisionGroupList xmlns="http://schemas.microsoft.com/2006/09/sip/provisiongrouplist-notification">' +
          '<provisionGroup name="ServerConfiguration"/>' +
          '<provisionGroup name="meetingPolicy"><propertyEntryList></propertyEntryList></provisionGroup>' +
          '<provisionGroup name="ucPolicy"><propertyEntryList></propertyEntryList></provisionGroup></provisionGroupList>',
      );

      expect((await alice.selfSubscribe()).status).toBe(200);
      const batch = await alice.categorySubscribe([{ uri: 'sip:bob@contoso.com' }, { uri: 'sip:carol@contoso.com' }]);
      expect(batch.status).toBe(200);
      expect(batch.body.toString()).toContain('uri="sip:bob@contoso.com"');
      expect(batch.body.toString()).toContain('uri="sip:carol@contoso.com"');
      const note = `<publish xmlns="http://schemas.microsoft.com/2006/09/sip/rich-presence"><publications uri="${ALICE}"><publication categoryName="note" instance="0" container="400" version="0" expireType="static"><note xmlns="http://schemas.microsoft.com/2006/09/sip/note"><body type="personal" uri="">signed in</body></note></publication></publications></publish>`;
      expect((await alice.service('application/msrtc-category-publish+xml', note)).status).toBe(200);

      // A second endpoint of Alice adds John to Friends; the first endpoint's dialog gets the delta.
      const desk = await connect(ALICE, 'a2');
      await desk.register();
      expect((await contactsSubscribe(desk)).body.toString()).toContain('deltaNum="1"');
      expect((await contactService(desk, setContact('sip:john@contoso.com', 1, '2', 'John'))).status).toBe(200);
      const delta = await alice.nextNotify(5000, (m) => (getHeader(m, 'Event') ?? '') === 'vnd-microsoft-roaming-contacts');
      expect(getHeader(delta, 'Content-Type')).toBe('application/vnd-microsoft-roaming-contacts+xml');
      expect(delta.body.toString()).toBe(
        '<contactDelta deltaNum="2" prevDeltaNum="1" ucsMode="disabled"><addedContact uri="sip:john@contoso.com" name="John" groups="2" subscribed="true" externalURI=""/></contactDelta>',
      );
      const johnSub = await alice.categorySubscribe([{ uri: 'sip:john@contoso.com' }], { categories: ['note'] });
      expect(johnSub.status).toBe(200);
      expect(johnSub.body.toString()).toContain('uri="sip:john@contoso.com"');

      // addGroup answers the new group's id ([MS-SIP] 4.8); the delta reaches both endpoints.
      const added = await contactService(alice, addGroup('Team', 2));
      expect(added.status).toBe(200);
      expect(getHeader(added, 'Content-Type')).toBe('application/SOAP+xml');
      expect(added.body.toString()).toContain('<m:groupID>3</m:groupID>');
      const onDesk = await desk.nextNotify(5000, (m) => m.body.toString().includes('<addedGroup id="3" name="Team" externalURI=""/>'));
      expect(onDesk.body.toString()).toContain('deltaNum="3" prevDeltaNum="2"');
    });

    it('refuses a stale deltaNum (409), an unknown group (404), the contact over the limit (403) and malformed SOAP (400), changing nothing', async () => {
      const alice = await connect(ALICE, 'a1');
      await alice.register();
      const many = Array.from({ length: 250 }, (_, i) => ({ uri: `user${i}@contoso.com` }));
      expect((await seed({ user: ALICE, groups: [{ name: 'Friends' }], contacts: many })).status).toBe(200);
      const listNow = async () => (await contactsSubscribe(alice, { expires: 0 })).body.toString();
      const before = await listNow();
      expect(before).toContain('deltaNum="1"');

      const stale = await contactService(alice, setContact('sip:x@contoso.com', 0));
      expect(stale.status).toBe(409);
      expect(getHeader(stale, 'ms-diagnostics')).toContain('current is 1');
      expect((await contactService(alice, soap(`<m:deleteContact ${SOAP_NS}><m:URI>user1@contoso.com</m:URI><m:deltaNum>1</m:deltaNum></m:deleteContact>`))).status).toBe(200);
      const after = await listNow();
      expect(after).toContain('deltaNum="2"');
      expect(after).not.toContain('user1@contoso.com"');

      expect((await contactService(alice, setContact('sip:y@contoso.com', 2, '9'))).status).toBe(404);
      expect((await contactService(alice, setContact('sip:user1@contoso.com', 2))).status).toBe(200); // back to 250
      const full = await listNow();
      const over = await contactService(alice, setContact('sip:z@contoso.com', 3));
      expect(over.status).toBe(403);
      expect(over.reason).toContain('250');
      expect((await contactService(alice, '<SOAP-ENV:Envelope>not soap')).status).toBe(400);
      expect((await contactService(alice, soap(`<m:setContact ${SOAP_NS}><m:deltaNum>3</m:deltaNum></m:setContact>`))).status).toBe(400);
      expect((await contactService(alice, soap(`<m:deleteGroup ${SOAP_NS}><m:groupID>1</m:groupID><m:deltaNum>3</m:deltaNum></m:deleteGroup>`))).status).toBe(403);
      expect(await listNow()).toBe(full);

      // Operators get their mistakes named, and the list stays as it was.
      const bad = await seed({ user: ALICE, groups: [], contacts: [{ uri: 'a@contoso.com', groups: ['Nope'] }] });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: string }).error).toContain('unknown group Nope');
      expect((await seed({ user: ALICE, contacts: 'x' })).status).toBe(400);
      expect(await listNow()).toBe(full);
    });

    it('answers features it does not offer at once: an unknown event 489 with Allow-Events, INVITE 405 with Allow', async () => {
      const alice = await connect(ALICE, 'a1');
      await alice.register();
      const unknown = await ownSubscribe(alice, 'vnd-microsoft-conference', 'application/conference-info+xml');
      expect(unknown.status).toBe(489);
      expect(getHeader(unknown, 'Allow-Events')).toContain('vnd-microsoft-roaming-contacts');
      const invite = await alice.request('INVITE', { uri: 'sip:alice@contoso.com;gruu;opaque=app:conf:focusfactory', headers: [{ name: 'Contact', value: `<${ALICE}>` }] });
      // A presence server takes no sessions: 405 names what it does take, so the client drops the feature.
    expect(invite.status).toBe(405);
    expect(getHeader(invite, 'Allow')).toContain('SUBSCRIBE');
    });
  });
}
