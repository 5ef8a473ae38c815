import { getHeader } from '@presence/sip';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freeSipPort, partnerEnv } from './federation-partners.suite.js';
import { Kamailio, kamailioPath, KAMAILIO_MISSING } from './support/kamailio.js';
import { registerInDomain, sendMessage, takeMessage } from './support/page-message.js';
import { PidfClient, pidfDoc } from './support/pidf-client.js';
import { startWorld, type World } from './support/world.js';

const ALICE = 'sip:alice@contoso.com';
const BOB = 'sip:bob@fabrikam.com';
const basicOf = (m: { body: Buffer }) => /<basic>(\w+)<\/basic>/.exec(m.body.toString())?.[1];

async function register(c: PidfClient): Promise<void> {
  expect((await registerInDomain(c)).status).toBe(200);
}

const message = sendMessage;

/**
 * Issue 14 item 5 with another vendor's server as the partner: Debian's Kamailio presence server
 * (presence + presence_xml) serves fabrikam.com; this server serves contoso.com; each names the other
 * as its partner. Presence and MESSAGE go both ways through real sockets.
 */
describe('federation with Kamailio as the partner (fabrikam.com)', () => {
  let w: World;
  let k: Kamailio | undefined;
  const clients: PidfClient[] = [];
  const client = async (port: number, user: string) => {
    const c = await PidfClient.connect(port, user);
    clients.push(c);
    return c;
  };
  beforeEach(async () => {
    if (!kamailioPath()) throw new Error(KAMAILIO_MISSING);
    const [ours, theirs] = [await freeSipPort(), await freeSipPort()];
    w = await startWorld({ mode: 'embedded', env: partnerEnv('contoso.com', ['alice', 'carol'], ours, 'fabrikam.com', theirs) });
    k = await Kamailio.start({ port: theirs, domain: 'fabrikam.com', partnerDomain: 'contoso.com', partnerPort: ours });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await k?.stop();
    await w.stop();
  });

  it('a local watcher sees a Kamailio user’s published presence (SUBSCRIBE out, NOTIFYs back through Record-Route)', { timeout: 40_000 }, async () => {
    const bob = await client(k!.port, BOB);
    await register(bob);
    expect((await bob.publish(pidfDoc(BOB, 'open', ['on-the-phone']), { expires: 3600 })).status).toBe(200);
    const alice = await client(w.ports.tcp, ALICE);
    await register(alice);
    const { res, dialog } = await alice.subscribe(BOB, { expires: 3600 });
    expect(res.status, k!.output.slice(-2000)).toBe(200);
    const n = await alice.nextNotify(dialog, 8000).catch((e: Error) => {
      throw new Error(`${e.message}; kamailio printed:\n${k!.output.slice(-3000)}`);
    });
    expect(getHeader(n, 'Event')).toBe('presence');
    expect(basicOf(n)).toBe('open');
    expect(n.body.toString()).toContain('on-the-phone');
  });

  it('a Kamailio user sees a local user’s presence, served as federated', { timeout: 40_000 }, async () => {
    const alice = await client(w.ports.tcp, ALICE);
    await register(alice);
    expect((await alice.publish(pidfDoc(ALICE, 'open', ['busy']))).status).toBe(200);
    const bob = await client(k!.port, BOB);
    await register(bob);
    const { res, dialog } = await bob.subscribe(ALICE, { expires: 3600 });
    expect(res.status, k!.output.slice(-2000)).toBe(200);
    const n = await bob.nextNotify(dialog, 8000);
    expect([basicOf(n), /<ep:activity>([^<]+)<\/ep:activity>/.exec(n.body.toString())?.[1]]).toEqual(['open', 'busy']);
  });

  it('relays MESSAGE both ways', { timeout: 40_000 }, async () => {
    const alice = await client(w.ports.tcp, ALICE);
    await register(alice);
    const bob = await client(k!.port, BOB);
    await register(bob);
    const out = message(alice, BOB, 'to kamailio');
    expect((await takeMessage(bob)).body.toString()).toBe('to kamailio');
    expect((await out).status).toBe(200);
    const back = message(bob, ALICE, 'from kamailio');
    expect((await takeMessage(alice)).body.toString()).toBe('from kamailio');
    expect((await back).status).toBe(200);
  });
});
