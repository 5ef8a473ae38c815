import { startProcess, type RunningProcess } from '@presence/runtime';
import { afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { xmppEdge, type RunningXmppEdge } from '@presence/xmpp-edge';
import { adminHeaders, startWorld, type World } from './support/world.js';
import { webOf } from './web-support.js';
import { pageMessageDouble } from './xmpp-support/page-double.js';
import { RawXmpp } from './xmpp-support/raw-client.js';
import { requireSlixmpp, Slixmpp } from './xmpp-support/slixmpp.js';

/**
 * Issue 18 item 5: any number of xmpp-edge instances. A second instance runs as its own process
 * (here: its own bus connection and store client) against the same NATS and Redis; what one user's
 * resources on one instance do reaches the other instance's resources over the bus.
 */
describe('XMPP edges, two instances (real NATS and Redis)', () => {
  let w: World;
  let second: RunningProcess;
  let edgeA: RunningXmppEdge;
  let edgeB: RunningXmppEdge;
  const clients: Slixmpp[] = [];
  const client = (edge: RunningXmppEdge, jid: string, password: string) => {
    const c = Slixmpp.start({ jid, password, port: edge.xmppPort, mechanism: 'SCRAM-SHA-1', certificate: edge.certificate });
    clients.push(c);
    return c;
  };

  beforeAll(() => requireSlixmpp());
  beforeEach(async () => {
    w = await startWorld({ mode: 'clustered', natsUrl: inject('natsUrl'), redisUrl: inject('redisUrl') });
    edgeA = w.proc.services.find((s) => 'xmppPort' in s) as RunningXmppEdge;
    second = await startProcess({
      processName: 'xmpp-edge-b',
      mode: 'clustered',
      services: [xmppEdge],
      env: {
        HTTP_PORT: '0',
        HTTP_HOST: '127.0.0.1',
        XMPP_PORT: '0',
        XMPP_HOST: '127.0.0.1',
        LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
        POOL_ID: w.pool,
        INSTANCE_ID: `b-${w.pool}`,
        NATS_URL: inject('natsUrl'),
        REDIS_URL: inject('redisUrl'),
        PRESENCE_USERS_FILE: 'config/dev-users.json',
      },
    });
    edgeB = second.services.find((s) => 'xmppPort' in s) as RunningXmppEdge;
    expect(edgeB.edgeId).not.toBe(edgeA.edgeId);
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.stop();
    await second.shutdown();
    await w.stop();
  });

  it("carries presence, roster pushes and chat between resources on different instances", async () => {
    const double = await pageMessageDouble(w.proc.adapters.bus, w.store, w.pool);
    try {
      await fetch(`http://127.0.0.1:${w.proc.httpPort}/admin/users/contacts`, { method: 'PUT', headers: adminHeaders, body: JSON.stringify({ user: 'sip:alice@contoso.com', groups: [], contacts: [{ uri: 'sip:bob@contoso.com' }] }) });
      const aliceA = client(edgeA, 'alice@contoso.com/a', 'alice-dev-password');
      const aliceB = client(edgeB, 'alice@contoso.com/b', 'alice-dev-password');
      const bobB = client(edgeB, 'bob@contoso.com/b', 'bob-dev-password');
      for (const c of [aliceA, aliceB, bobB]) await c.next((e) => e.event === 'session_start');

      // bob (instance B) lets alice see him and goes away; alice on instance A sees it.
      bobB.send({ op: 'add', jid: 'alice@contoso.com' });
      await bobB.next((e) => e.event === 'done');
      bobB.send({ op: 'presence', show: 'away', status: 'back soon' });
      aliceA.send({ op: 'presence' });
      expect(await aliceA.next((e) => e.event === 'presence' && e.frm === 'bob@contoso.com' && e.show === 'away')).toMatchObject({ status: 'back soon' });

      // A roster change made on instance A reaches alice's resource on instance B as a push.
      aliceB.send({ op: 'roster' });
      await aliceB.next((e) => e.event === 'roster');
      aliceA.send({ op: 'add', jid: 'carol@contoso.com', name: 'Carol' });
      await aliceB.next((e) => e.event === 'roster_push' && JSON.stringify(e.items).includes('carol@contoso.com'));

      // Chat from A to B, and to both of alice's resources from B.
      aliceA.send({ op: 'message', to: 'bob@contoso.com', body: 'across' });
      expect(await bobB.next((e) => e.event === 'message')).toMatchObject({ frm: 'alice@contoso.com', body: 'across' });
      bobB.send({ op: 'message', to: 'alice@contoso.com', body: 'to all of you' });
      expect(await aliceA.next((e) => e.event === 'message' && e.type === 'chat')).toMatchObject({ body: 'to all of you' });
      expect(await aliceB.next((e) => e.event === 'message' && e.type === 'chat')).toMatchObject({ body: 'to all of you' });
    } finally {
      await double?.stop();
    }
  }, 60_000);

  it('ends the streams on the other instance when the registrar there signs their endpoints out (endpoint-gone, whichever instance consumes it)', async () => {
    // Four resources on B; each endpoint-gone goes to one of the two instances' shared consumer, so
    // most likely some reach A, which has B end the session (edge command end-endpoint).
    const streams: RawXmpp[] = [];
    try {
      for (const r of ['r1', 'r2', 'r3', 'r4']) {
        const c = await RawXmpp.secure(edgeB.xmppPort, edgeB.certificate);
        streams.push(c);
        await c.signIn('alice', 'alice-dev-password', r);
      }
      const bob = await RawXmpp.secure(edgeB.xmppPort, edgeB.certificate);
      streams.push(bob);
      await bob.signIn('bob', 'bob-dev-password', 'desk');
      // Process A's directory loses alice: its SIP registrar signs out every endpoint of hers, on any edge.
      webOf(w).api.d.directory!.set('sip:alice@contoso.com', undefined);
      for (const c of streams.slice(0, 4)) {
        await c.until(/<stream:error><not-authorized xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/><text xmlns="urn:ietf:params:xml:ns:xmpp-streams">the endpoint was ended \(signed-out\)<\/text><\/stream:error><\/stream:stream>$/, 10_000);
        await c.whenClosed();
      }
      bob.write('<iq type="get" id="p1"><ping xmlns="urn:xmpp:ping"/></iq>');
      await bob.until(/<iq type="result" id="p1"/);
    } finally {
      for (const c of streams) c.close();
    }
  }, 60_000);
});
