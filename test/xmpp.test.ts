import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningXmppEdge } from '../services/xmpp-edge/src/index.js';
import { adminHeaders, startWorld, type World } from './support/world.js';
import { requireSlixmpp, Slixmpp } from './xmpp-support/slixmpp.js';

const ALICE = 'sip:alice@contoso.com';

describe('XMPP c2s with a real client (python3-slixmpp): RFC 6120 sign-in, RFC 6121 roster', () => {
  let w: World;
  let edge: RunningXmppEdge;
  const clients: Slixmpp[] = [];
  const client = (jid: string, password: string, mechanism = 'SCRAM-SHA-1') => {
    const c = Slixmpp.start({ jid, password, port: edge.xmppPort, mechanism, certificate: edge.certificate });
    clients.push(c);
    return c;
  };
  const seed = (body: unknown) => fetch(`http://127.0.0.1:${w.proc.httpPort}/admin/users/contacts`, { method: 'PUT', headers: adminHeaders, body: JSON.stringify(body) });

  beforeAll(() => requireSlixmpp());
  beforeEach(async () => {
    w = await startWorld({ mode: 'embedded' });
    edge = w.proc.services.find((s) => 'xmppPort' in s) as RunningXmppEdge;
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.stop();
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
});
