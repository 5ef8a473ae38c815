import { listRecords, registrations } from '@presence/state';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningXmppEdge } from '@presence/xmpp-edge';
import { LyncClient } from './support/lync-client.js';
import { adminHeaders, type World } from './support/world.js';
import { pageMessageDouble } from './xmpp-support/page-double.js';
import { requireSlixmpp, Slixmpp } from './xmpp-support/slixmpp.js';

const ALICE = 'sip:alice@contoso.com';
const BOB = 'sip:bob@contoso.com';
const PUBLISH = 'application/msrtc-category-publish+xml';
const STATE_NS = 'xmlns="http://schemas.microsoft.com/2006/09/sip/state" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';
const publish = (user: string, pubs: string) => `<publish xmlns="http://schemas.microsoft.com/2006/09/sip/rich-presence"><publications uri="${user}">${pubs}</publications></publish>`;
const state = (type: 'machineState' | 'userState', instance: number, version: number, availability: number, expireType = type === 'machineState' ? 'endpoint' : 'static') =>
  `<publication categoryName="state" instance="${instance}" container="2" version="${version}" expireType="${expireType}"><state ${STATE_NS} manual="${type === 'userState'}" xsi:type="${type}"><availability>${availability}</availability></state></publication>`;
const colleagues = '<setContainerMembers xmlns="http://schemas.microsoft.com/2006/09/sip/container-management"><container id="200" version="0"><member type="sameEnterprise"/></container></setContainerMembers>';
const availabilityIn = (body: Buffer) => Number(/<availability>(\d+)<\/availability>/.exec(body.toString())?.[1]);

/** Issue 18's checks with a real XMPP client no one here wrote (python3-slixmpp, Debian). */
export function xmppSuite(name: string, makeWorld: () => Promise<World>): void {
describe(`XMPP c2s with a real client (python3-slixmpp): RFC 6120 sign-in, RFC 6121 roster: ${name}`, () => {
  let w: World;
  let edge: RunningXmppEdge;
  const clients: Slixmpp[] = [];
  const client = (jid: string, password: string, mechanism = 'SCRAM-SHA-1') => {
    const c = Slixmpp.start({ jid, password, port: edge.xmppPort, mechanism, certificate: edge.certificate });
    clients.push(c);
    return c;
  };
  const lyncs: LyncClient[] = [];
  const lync = async (user: string, epid: string) => {
    const c = await LyncClient.connect(w.ports.tcp, user, epid);
    lyncs.push(c);
    await c.register();
    return c;
  };
  const seed = (body: unknown) => fetch(`http://127.0.0.1:${w.proc.httpPort}/admin/users/contacts`, { method: 'PUT', headers: adminHeaders, body: JSON.stringify(body) });

  beforeAll(() => requireSlixmpp());
  beforeEach(async () => {
    w = await makeWorld();
    edge = w.proc.services.find((s) => 'xmppPort' in s) as RunningXmppEdge;
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.stop();
    for (const c of lyncs.splice(0)) c.close();
    await w.stop();
  });

  it('signs in with SCRAM-SHA-1 over STARTTLS and fetches the roster seeded through the admin API', async () => {
    expect((await seed({ user: ALICE, groups: [{ name: 'Friends' }], contacts: [{ uri: 'sip:bob@contoso.com', groups: ['Friends'] }, { uri: 'carol@contoso.com', name: 'Carol' }] })).status).toBe(200);
    const alice = client('alice@contoso.com/laptop', 'alice-dev-password');
    const start = await alice.next((e) => e.event === 'session_start');
    expect(start.jid).toBe('alice@contoso.com/laptop');
    alice.send({ op: 'roster' });
    const roster = await alice.next((e) => e.event === 'roster');
    expect(roster.items).toEqual({
      'bob@contoso.com': { subscription: 'both', name: '', groups: ['Friends'] },
      'carol@contoso.com': { subscription: 'both', name: 'Carol', groups: [] },
    });
  }, 30_000);

  it("shows a Lync user's Busy as dnd within 1 s, and their Available as available (README table)", async () => {
    expect((await seed({ user: ALICE, groups: [], contacts: [{ uri: BOB }] })).status).toBe(200);
    const bob = await lync(BOB, 'b1');
    expect((await bob.service('application/msrtc-setcontainermembers+xml', colleagues)).status).toBe(200);
    expect((await bob.service(PUBLISH, publish(BOB, state('machineState', 11, 0, 3500)))).status).toBe(200);
    const alice = client('alice@contoso.com/phone', 'alice-dev-password', 'SCRAM-SHA-256');
    await alice.next((e) => e.event === 'session_start');
    alice.send({ op: 'presence' });
    const online = await alice.next((e) => e.event === 'presence' && e.frm === 'bob@contoso.com');
    expect(online).toMatchObject({ type: 'available', show: '' });
    const mark = alice.mark;
    const t0 = Date.now();
    expect((await bob.service(PUBLISH, publish(BOB, state('userState', 12, 0, 6500)))).status).toBe(200);
    const busy = await alice.next((e) => e.event === 'presence' && e.frm === 'bob@contoso.com' && e.show === 'dnd', 5000, mark);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(busy).toMatchObject({ type: 'dnd', show: 'dnd' });

    // The session's refresh (registration and dialogs, at half their lifetime) keeps everything working.
    const [reg] = await listRecords(w.store, { pool: w.pool, user: ALICE }, registrations);
    await new Promise((r) => setTimeout(r, 20));
    // Both dialogs exist (roster and presence of contacts) and both refreshes are accepted.
    expect(await edge.refreshAll()).toEqual([{ registered: true, contacts: 200, categories: 200 }]);
    const [again] = await listRecords(w.store, { pool: w.pool, user: ALICE }, registrations);
    expect(again!.id).toBe(reg!.id);
    expect(again!.expiresAt).toBeGreaterThan(reg!.expiresAt!);
    const mark2 = alice.mark;
    expect((await bob.service(PUBLISH, publish(BOB, state('userState', 12, 1, 15500)))).status).toBe(200);
    await alice.next((e) => e.event === 'presence' && e.frm === 'bob@contoso.com' && e.show === 'away', 5000, mark2);
  }, 30_000);

  it('publishes away as 15500: a SIP watcher in the contacts container sees it within 1 s; the status is the note', async () => {
    const bob = await lync(BOB, 'b1');
    const alice = client('alice@contoso.com/laptop', 'alice-dev-password');
    await alice.next((e) => e.event === 'session_start');
    // Adding bob to the roster puts him in alice's contacts container (200).
    alice.send({ op: 'add', jid: 'bob@contoso.com', name: 'Bob' });
    await alice.next((e) => e.event === 'done' && e.op === 'add');
    alice.send({ op: 'presence' });
    await alice.next((e) => e.event === 'sent');
    // The roster add and the presence are done when the client says so; the watcher's view settles within a moment.
    await expect.poll(async () => availabilityIn((await bob.categorySubscribe([{ uri: ALICE }], { categories: ['state', 'note'] })).body), { timeout: 5000 }).toBe(3500);
    const t0 = Date.now();
    alice.send({ op: 'presence', show: 'away', status: 'at lunch' });
    const n = await bob.nextNotify(5000, (m) => availabilityIn(m.body) === 15500);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(n.body.toString()).toMatch(/<state xsi:type="aggregateState"[^>]*><availability>15500<\/availability>/);
    // One publish carries the state and the status, so one notification shows both.
    expect(n.body.toString()).toMatch(/<note xmlns="http:\/\/schemas\.microsoft\.com\/2006\/09\/sip\/note"><body type="personal" uri="">at lunch<\/body><\/note>/);
    alice.send({ op: 'presence', show: 'dnd' });
    await bob.nextNotify(5000, (m) => availabilityIn(m.body) === 9500);
    // The stream ends: the endpoint is gone, its state with it, and alice shows offline.
    alice.send({ op: 'quit' });
    await bob.nextNotify(5000, (m) => availabilityIn(m.body) === 18500);
  }, 30_000);

  it("carries roster add and remove to the user's Lync endpoint as contact deltas, and deltas back as roster pushes", async () => {
    const alicePc = await lync(ALICE, 'a1');
    const sub = await alicePc.subscribeOwn('vnd-microsoft-roaming-contacts', 'application/vnd-microsoft-roaming-contacts+xml');
    expect(sub.status).toBe(200);
    const alice = client('alice@contoso.com/phone', 'alice-dev-password');
    await alice.next((e) => e.event === 'session_start');
    alice.send({ op: 'roster' });
    await alice.next((e) => e.event === 'roster');
    alice.send({ op: 'add', jid: 'dave@contoso.com', name: 'Dave' });
    const added = await alicePc.nextNotify(5000, (m) => m.body.toString().includes('dave@contoso.com'));
    expect(added.body.toString()).toMatch(/^<contactDelta deltaNum="(\d+)" prevDeltaNum="\d+" ucsMode="disabled"><addedContact uri="sip:dave@contoso\.com" name="Dave" groups="\d+" subscribed="true" externalURI=""\/><\/contactDelta>$/);
    await alice.next((e) => e.event === 'roster_push' && JSON.stringify(e.items).includes('dave@contoso.com'));
    alice.send({ op: 'remove', jid: 'dave@contoso.com' });
    const removed = await alicePc.nextNotify(5000, (m) => m.body.toString().includes('deletedContact'));
    expect(removed.body.toString()).toMatch(/<deletedContact uri="sip:dave@contoso\.com"\/>/);
    await alice.next((e) => e.event === 'roster_push' && (e.items as Record<string, { subscription: string }>)['dave@contoso.com']?.subscription === 'remove');
  }, 30_000);

  it('relays chat between two XMPP users as page-mode messages; a user with no endpoint gives service-unavailable', async () => {
    const double = await pageMessageDouble(w.proc.adapters.bus, w.store, w.pool);
    try {
      const alice = client('alice@contoso.com/a', 'alice-dev-password');
      const bob = client('bob@contoso.com/b', 'bob-dev-password', 'SCRAM-SHA-256');
      await alice.next((e) => e.event === 'session_start');
      await bob.next((e) => e.event === 'session_start');
      alice.send({ op: 'message', to: 'bob@contoso.com', body: 'hello bob ✓' });
      const got = await bob.next((e) => e.event === 'message');
      expect(got).toMatchObject({ frm: 'alice@contoso.com', type: 'chat', body: 'hello bob ✓' });
      bob.send({ op: 'message', to: 'alice@contoso.com', body: 'hi' });
      expect(await alice.next((e) => e.event === 'message' && e.type === 'chat')).toMatchObject({ frm: 'bob@contoso.com', body: 'hi' });
      alice.send({ op: 'message', to: 'carol@contoso.com', body: 'anyone?' });
      expect(await alice.next((e) => e.event === 'message' && e.type === 'error')).toMatchObject({ error: 'service-unavailable' });
    } finally {
      await double?.stop();
    }
  }, 30_000);

  it('maps the subscription handshake (RFC 6121 §3): subscribe adds the contact and is approved at once; subscribed lets the requester see the user through container 200', async () => {
    const bob = await lync(BOB, 'b1');
    const alice = client('alice@contoso.com/laptop', 'alice-dev-password');
    await alice.next((e) => e.event === 'session_start');
    alice.send({ op: 'presence', show: 'dnd' });
    await alice.next((e) => e.event === 'sent');
    // Before approval bob is in none of alice's containers: he sees no state of hers.
    const before = await bob.categorySubscribe([{ uri: ALICE }], { categories: ['state'] });
    expect(before.status).toBe(200);
    expect(before.body.toString()).not.toContain('<availability>');
    alice.send({ op: 'subscription', to: 'bob@contoso.com', type: 'subscribed' });
    await expect.poll(async () => availabilityIn((await bob.categorySubscribe([{ uri: ALICE }], { categories: ['state'] })).body), { timeout: 5000 }).toBe(9500);

    alice.send({ op: 'roster' });
    await alice.next((e) => e.event === 'roster');
    alice.send({ op: 'subscription', to: 'dave@contoso.com', type: 'subscribe' });
    expect(await alice.next((e) => e.event === 'presence' && e.frm === 'dave@contoso.com')).toMatchObject({ type: 'subscribed' });
    await alice.next((e) => e.event === 'roster_push' && JSON.stringify(e.items).includes('dave@contoso.com'));
  }, 30_000);
});
}
