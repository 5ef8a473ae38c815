import { serialize, type SipMessage, type SipRequest } from '@presence/sip';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningXmppEdge } from '@presence/xmpp-edge';
import { LyncClient } from './support/lync-client.js';
import { startWorld, type World } from './support/world.js';
import { requireSlixmpp, Slixmpp } from './xmpp-support/slixmpp.js';

/**
 * XMPP ↔ SIP chat through page-mode MESSAGE (RFC 3428): XMPP `<message type="chat">` becomes
 * `pageMessage` to the recipient's home pool; federation relays it to each endpoint through its
 * edge (`deliver-message`). Needs federation's `pageMessage` and the SIP edge's `deliver-message`
 * (issue 14 item 4, another branch): it fails until that is merged, by design — no stand-in here.
 */
describe('XMPP ↔ SIP chat as page-mode MESSAGE (RFC 3428)', () => {
  let w: World;
  let edge: RunningXmppEdge;
  let bob: LyncClient;
  let alice: Slixmpp;

  beforeAll(() => requireSlixmpp());
  beforeEach(async () => {
    w = await startWorld({ mode: 'embedded' });
    edge = w.proc.services.find((s) => 'xmppPort' in s) as RunningXmppEdge;
    bob = await LyncClient.connect(w.ports.tcp, 'sip:bob@contoso.com', 'b1');
    await bob.register();
    alice = Slixmpp.start({ jid: 'alice@contoso.com/x', password: 'alice-dev-password', port: edge.xmppPort, mechanism: 'SCRAM-SHA-1', certificate: edge.certificate });
    await alice.next((e) => e.event === 'session_start');
  });
  afterEach(async () => {
    alice.stop();
    bob.close();
    await w.stop();
  });

  it('delivers an XMPP chat to the SIP user as MESSAGE, and a SIP MESSAGE to the XMPP user as chat', async () => {
    alice.send({ op: 'message', to: 'bob@contoso.com', body: 'hello from xmpp' });
    const m = (await bob.sip.next((x: SipMessage) => x.type === 'request' && x.method === 'MESSAGE', 5000)) as SipRequest;
    expect(m.body.toString()).toBe('hello from xmpp');
    expect(m.headers.find((h) => h.name === 'Content-Type')?.value).toMatch(/^text\/plain/);
    bob.sip.send(serialize({ type: 'response', status: 200, reason: 'OK', headers: m.headers.filter((h) => ['Via', 'From', 'To', 'Call-ID', 'CSeq'].includes(h.name)), body: Buffer.alloc(0) }));

    const res = await bob.request('MESSAGE', { to: 'sip:alice@contoso.com', uri: 'sip:alice@contoso.com', headers: [{ name: 'Content-Type', value: 'text/plain; charset=utf-8' }], body: 'hello from sip' });
    expect([200, 202]).toContain(res.status);
    expect(await alice.next((e) => e.event === 'message' && e.type === 'chat')).toMatchObject({ frm: 'bob@contoso.com', body: 'hello from sip' });
    expect(alice.events.some((e) => e.event === 'message' && e.type === 'error')).toBe(false);
  }, 30_000);
});
