import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningXmppEdge } from '@presence/xmpp-edge';
import { LyncClient } from './support/lync-client.js';
import { adminHeaders, startWorld, type World } from './support/world.js';
import { requireSlixmpp, Slixmpp } from './xmpp-support/slixmpp.js';

const STATE_NS = 'xmlns="http://schemas.microsoft.com/2006/09/sip/state" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';
const publish = (user: string, version: number, type: string, availability: number) =>
  `<publish xmlns="http://schemas.microsoft.com/2006/09/sip/rich-presence"><publications uri="${user}"><publication categoryName="state" instance="${type === 'machineState' ? 11 : 12}" container="2" version="${version}" expireType="${type === 'machineState' ? 'endpoint' : 'static'}"><state ${STATE_NS} manual="${type === 'userState'}" xsi:type="${type}"><availability>${availability}</availability></state></publication></publications></publish>`;
const colleagues = '<setContainerMembers xmlns="http://schemas.microsoft.com/2006/09/sip/container-management"><container id="200" version="0"><member type="sameEnterprise"/></container></setContainerMembers>';

/** Contacts homed in another pool are watched there, through its pool GRUU ([MS-PRES] §3.4.5.1.3.1); a pool move resubscribes. */
describe('XMPP roster across pools (PRESENCE_POOLS=pool1,pool2)', () => {
  let w: World;
  let edge: RunningXmppEdge;
  const lyncs: LyncClient[] = [];
  let alice: Slixmpp | undefined;

  beforeAll(() => requireSlixmpp());
  beforeEach(async () => {
    // The development accounts are homed: alice and bob in pool1, carol and john in pool2.
    w = await startWorld({ mode: 'embedded', env: { PRESENCE_POOLS: 'pool1,pool2', POOL_ID: 'pool1' } });
    edge = w.proc.services.find((s) => 'xmppPort' in s) as RunningXmppEdge;
  });
  afterEach(async () => {
    alice?.stop();
    for (const c of lyncs.splice(0)) c.close();
    await w.stop();
  });

  it("shows contacts of both pools, and keeps showing a contact moved to another pool", async () => {
    for (const [user, epid] of [['sip:bob@contoso.com', 'b1'], ['sip:carol@contoso.com', 'c1']] as const) {
      const c = await LyncClient.connect(w.ports.tcp, user, epid);
      lyncs.push(c);
      await c.register();
      expect((await c.service('application/msrtc-setcontainermembers+xml', colleagues)).status).toBe(200);
      expect((await c.service('application/msrtc-category-publish+xml', publish(user, 0, 'machineState', 3500))).status).toBe(200);
    }
    const [, carol] = lyncs;
    await fetch(`http://127.0.0.1:${w.proc.httpPort}/admin/users/contacts`, { method: 'PUT', headers: adminHeaders, body: JSON.stringify({ user: 'sip:alice@contoso.com', groups: [], contacts: [{ uri: 'sip:bob@contoso.com' }, { uri: 'sip:carol@contoso.com' }] }) });
    alice = Slixmpp.start({ jid: 'alice@contoso.com/x', password: 'alice-dev-password', port: edge.xmppPort, mechanism: 'SCRAM-SHA-1', certificate: edge.certificate });
    await alice.next((e) => e.event === 'session_start');
    alice.send({ op: 'presence' });
    await alice.next((e) => e.event === 'presence' && e.frm === 'bob@contoso.com' && e.type === 'available');
    await alice.next((e) => e.event === 'presence' && e.frm === 'carol@contoso.com' && e.type === 'available');

    let mark = alice.mark;
    expect((await carol!.service('application/msrtc-category-publish+xml', publish('sip:carol@contoso.com', 0, 'userState', 6500))).status).toBe(200);
    await alice.next((e) => e.event === 'presence' && e.frm === 'carol@contoso.com' && e.show === 'dnd', 5000, mark);

    const moved = await fetch(`http://127.0.0.1:${w.proc.httpPort}/admin/users/move`, { method: 'POST', headers: adminHeaders, body: JSON.stringify({ user: 'sip:carol@contoso.com', pool: 'pool1' }) });
    expect(moved.status).toBe(200);
    mark = alice.mark;
    // Carol's data moved with her; she changes again and alice, resubscribed in pool1, sees it.
    await expect
      .poll(async () => (await carol!.service('application/msrtc-category-publish+xml', publish('sip:carol@contoso.com', 1, 'userState', 15500))).status, { timeout: 5000 })
      .toBe(200);
    await alice.next((e) => e.event === 'presence' && e.frm === 'carol@contoso.com' && e.show === 'away', 5000, mark);
  }, 40_000);
});
