import { listRecords, registrations } from '@presence/state';
import { describe, expect, it } from 'vitest';
import { LyncClient } from './support/lync-client.js';
import { adminHeaders } from './support/world.js';
import { useRawXmppWorld } from './xmpp-support/raw-world.js';

const ALICE = 'sip:alice@contoso.com';
const after = (text: string, mark: number) => text.slice(mark);

describe('XMPP directed presence (RFC 6121 §4.6)', () => {
  const x = useRawXmppWorld();

  it('delivers presence to a JID not on the roster, to every resource of a bare JID or the one of a full JID, then unavailable; nothing to a user elsewhere', async () => {
    const alice = await x.secure();
    await alice.signIn('alice', 'alice-dev-password', 'laptop');
    const carol1 = await x.secure();
    await carol1.signIn('carol', 'carol-dev-password', 'one');
    const carol2 = await x.secure();
    await carol2.signIn('carol', 'carol-dev-password', 'two');
    const m1 = carol1.received.length;
    const m2 = carol2.received.length;

    // §4.6.2: to the bare JID, every available resource of the addressee.
    alice.write('<presence to="carol@contoso.com"><show>away</show><status>back at 3 &amp; then</status></presence>');
    await carol1.until(/<presence from="alice@contoso\.com\/laptop" to="carol@contoso\.com\/one"><show>away<\/show><status>back at 3 &amp; then<\/status><\/presence>/);
    await carol2.until(/<presence from="alice@contoso\.com\/laptop" to="carol@contoso\.com\/two"><show>away<\/show><status>back at 3 &amp; then<\/status><\/presence>/);

    // To a full JID: that resource only.
    alice.write('<presence type="unavailable" to="carol@contoso.com/two"/>');
    await carol2.until(/<presence from="alice@contoso\.com\/laptop" to="carol@contoso\.com\/two" type="unavailable"\/>/);
    alice.write('<presence type="unavailable" to="carol@contoso.com"/>');
    await carol1.until(/<presence from="alice@contoso\.com\/laptop" to="carol@contoso\.com\/one" type="unavailable"\/>/);
    await new Promise((r) => setTimeout(r, 300));
    expect(after(carol1.received, m1).match(/<presence /g)).toHaveLength(2);
    expect(after(carol2.received, m2).match(/<presence /g)).toHaveLength(3);

    // No s2s: a directed presence to another domain goes nowhere and breaks nothing.
    alice.write('<presence to="someone@example.org"/><iq type="get" id="p1"><ping xmlns="urn:xmpp:ping"/></iq>');
    await alice.until(/<iq type="result" id="p1"/);
    // Directed presence changes nothing in the store: carol's contact list and alice's registrations are as they were.
    expect((await listRecords(x.w.store, { pool: x.w.pool, user: ALICE }, registrations)).map((r) => r.value.transport)).toEqual(['xmpp']);
  }, 30_000);

  it('sends unavailable to those given directed presence when the sender goes unavailable or the stream ends (§4.6.3)', async () => {
    const alice = await x.secure();
    await alice.signIn('alice', 'alice-dev-password', 'laptop');
    const carol = await x.secure();
    await carol.signIn('carol', 'carol-dev-password', 'one');
    alice.write('<presence/><presence to="carol@contoso.com"/>');
    await carol.until(/<presence from="alice@contoso\.com\/laptop" to="carol@contoso\.com\/one"\/>/);
    alice.write('<presence type="unavailable"/>');
    await carol.until(/<presence from="alice@contoso\.com\/laptop" to="carol@contoso\.com\/one" type="unavailable"\/>/);

    const phone = await x.secure();
    await phone.signIn('alice', 'alice-dev-password', 'phone');
    const mark = carol.received.length;
    phone.write('<presence to="carol@contoso.com/one"><show>dnd</show></presence>');
    await carol.until(/<presence from="alice@contoso\.com\/phone" to="carol@contoso\.com\/one"><show>dnd<\/show><\/presence>/);
    phone.write('</stream:stream>');
    await phone.whenClosed();
    await carol.until(/<presence from="alice@contoso\.com\/phone" to="carol@contoso\.com\/one" type="unavailable"\/>/);
    expect(after(carol.received, mark).match(/<presence /g)).toHaveLength(2);
  }, 30_000);
});

describe('XMPP unsubscribe (RFC 6121 §3.3) on the MS-PRES contact list', () => {
  const x = useRawXmppWorld();

  it('keeps the contact, not subscribed (roster push subscription none), stops their presence and shows them unavailable; subscribe watches again', async () => {
    const seeded = await fetch(`http://127.0.0.1:${x.w.proc.httpPort}/admin/users/contacts`, { method: 'PUT', headers: adminHeaders, body: JSON.stringify({ user: ALICE, groups: [], contacts: [{ uri: 'sip:bob@contoso.com', name: 'Bob' }] }) });
    expect(seeded.status).toBe(200);
    const bob = await x.secure();
    await bob.signIn('bob', 'bob-dev-password', 'desk');
    // Bob lets alice see him (container 200), then is busy.
    bob.write('<presence type="subscribed" to="alice@contoso.com"/><presence><show>dnd</show></presence>');
    const alice = await x.secure();
    await alice.signIn('alice', 'alice-dev-password', 'laptop');
    alice.write('<iq type="get" id="r1"><query xmlns="jabber:iq:roster"/></iq><presence/>');
    await alice.until(/<iq type="result" id="r1" to="alice@contoso\.com\/laptop"><query xmlns="jabber:iq:roster"><item jid="bob@contoso\.com" name="Bob" subscription="both"\/><\/query><\/iq>/);
    await alice.until(/<presence from="bob@contoso\.com" to="alice@contoso\.com\/laptop"><show>dnd<\/show><\/presence>/);

    const mark = alice.received.length;
    alice.write('<presence type="unsubscribe" to="bob@contoso.com"/>');
    await alice.until(/<presence from="bob@contoso\.com" to="alice@contoso\.com" type="unavailable"\/>/);
    await alice.until(/<iq type="set" id="push-\d+-[a-z0-9]+" to="alice@contoso\.com\/laptop"><query xmlns="jabber:iq:roster"><item jid="bob@contoso\.com" name="Bob" subscription="none"\/><\/query><\/iq>/);
    alice.write('<iq type="get" id="r2"><query xmlns="jabber:iq:roster"/></iq>');
    await alice.until(/<iq type="result" id="r2" to="alice@contoso\.com\/laptop"><query xmlns="jabber:iq:roster"><item jid="bob@contoso\.com" name="Bob" subscription="none"\/><\/query><\/iq>/);
    // Bob's changes no longer reach alice.
    bob.write('<presence><show>away</show></presence><iq type="get" id="b1"><ping xmlns="urn:xmpp:ping"/></iq>');
    await bob.until(/<iq type="result" id="b1"/);
    await new Promise((r) => setTimeout(r, 800));
    expect(after(alice.received, mark)).not.toMatch(/<presence from="bob@contoso\.com" to="alice@contoso\.com\/laptop">/);

    // §3.1 on an item that is there: subscribed again, watched again.
    alice.write('<presence type="subscribe" to="bob@contoso.com"/>');
    await alice.until(/<item jid="bob@contoso\.com" name="Bob" subscription="both"\/>/);
    await alice.until(/<presence from="bob@contoso\.com" to="alice@contoso\.com\/laptop"><show>away<\/show><\/presence>/);
  }, 30_000);
});

describe('XMPP session whose endpoint the SIP registrar ends', () => {
  const x = useRawXmppWorld({ REGISTER_MAX_ENDPOINTS: '1' });

  it('ends the stream with conflict (RFC 6120 §4.9.3.3) when a new SIP endpoint replaces it (REGISTER_MAX_ENDPOINTS)', async () => {
    const alice = await x.secure();
    await alice.signIn('alice', 'alice-dev-password', 'laptop');
    const endpoints = async () => (await listRecords(x.w.store, { pool: x.w.pool, user: ALICE }, registrations)).map((r) => r.value.transport);
    await expect.poll(endpoints).toEqual(['xmpp']);
    const lync = await LyncClient.connect(x.w.ports.tcp, ALICE, 'a1');
    try {
      const t0 = Date.now();
      expect((await lync.register()).status).toBe(200);
      await alice.until(/<stream:error><conflict xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/><text xmlns="urn:ietf:params:xml:ns:xmpp-streams">[^<]+<\/text><\/stream:error><\/stream:stream>$/);
      console.log(`[xmpp-gaps] replaced XMPP stream ended ${Date.now() - t0} ms after the REGISTER was sent`);
      await alice.whenClosed();
      expect(await endpoints()).toEqual(['tcp']);
    } finally {
      lync.close();
    }
  }, 30_000);
});
