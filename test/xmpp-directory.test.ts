import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunningXmppEdge } from '@presence/xmpp-edge';
import { adminHeaders, startWorld, type World } from './support/world.js';
import { RawXmpp } from './xmpp-support/raw-client.js';
import { ScramClient } from './xmpp-support/scram-client.js';

/**
 * Sign-in against the managed user store (issue 15), which keeps digest HA1 only: PLAIN over TLS
 * is checked against HA1 and primes SCRAM on that edge (README "XMPP"); a disabled user's streams end.
 */
describe('XMPP sign-in with the managed user store (HA1 only)', () => {
  let w: World;
  let edge: RunningXmppEdge;
  const conns: RawXmpp[] = [];
  const admin = (method: string, path: string, body?: unknown) =>
    fetch(`http://127.0.0.1:${w.proc.adminHttpPort}${path}`, { method, headers: adminHeaders, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const secure = async () => {
    const c = await RawXmpp.secure(edge.xmppPort, edge.certificate);
    conns.push(c);
    return c;
  };
  const scram = async (c: RawXmpp, user: string, password: string) => {
    const s = new ScramClient('sha1', user, password);
    c.write(`<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="SCRAM-SHA-1">${Buffer.from(s.first()).toString('base64')}</auth>`);
    const ch = await c.until(/<challenge [^>]*>([^<]+)<\/challenge>/);
    c.write(`<response xmlns="urn:ietf:params:xml:ns:xmpp-sasl">${Buffer.from(s.final(Buffer.from(ch[1]!, 'base64').toString())).toString('base64')}</response>`);
    return c.until(/<success [^>]*>[^<]*<\/success>|<failure [^>]*><[a-z-]+\/><\/failure>/);
  };

  beforeEach(async () => {
    w = await startWorld({ mode: 'embedded', env: { PRESENCE_DIRECTORY: 'store' } });
    edge = w.proc.services.find((s) => 'xmppPort' in s) as RunningXmppEdge;
    expect((await admin('POST', '/admin/users', { uri: 'sip:erin@contoso.com', password: 'erin-pw-1' })).status).toBe(201);
  });
  afterEach(async () => {
    for (const c of conns.splice(0)) c.close();
    await w.stop();
  });

  it('takes SCRAM only after a PLAIN sign-in primed it; a new password needs PLAIN again; disabling the user ends their stream', async () => {
    expect((await scram(await secure(), 'erin', 'erin-pw-1'))[0]).toContain('<not-authorized/>');
    const plain = await secure();
    await plain.signIn('erin', 'erin-pw-1');
    expect((await scram(await secure(), 'erin', 'erin-pw-1'))[0]).toMatch(/^<success /);

    expect((await admin('PUT', `/admin/users/${encodeURIComponent('sip:erin@contoso.com')}/password`, { password: 'erin-pw-2' })).status).toBe(200);
    await expect.poll(async () => (await scram(await secure(), 'erin', 'erin-pw-2'))[0]).toContain('<not-authorized/>');
    const wrong = await secure();
    wrong.write(`<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="PLAIN">${Buffer.from('\0erin\0erin-pw-1').toString('base64')}</auth>`);
    await wrong.until(/<failure xmlns="urn:ietf:params:xml:ns:xmpp-sasl"><not-authorized\/><\/failure>/);

    expect((await admin('POST', `/admin/users/${encodeURIComponent('sip:erin@contoso.com')}/disable`, {})).status).toBe(200);
    await plain.until(/<stream:error><not-authorized xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>/);
    await plain.whenClosed();
  });
});
