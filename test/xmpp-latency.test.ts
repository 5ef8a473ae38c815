import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunningXmppEdge } from '@presence/xmpp-edge';
import { LyncClient } from './support/lync-client.js';
import { startWorld, type World } from './support/world.js';
import { RawXmpp } from './xmpp-support/raw-client.js';
import { ScramClient } from './xmpp-support/scram-client.js';

const ALICE = 'sip:alice@contoso.com';
const availabilityIn = (body: Buffer) => Number(/<availability>(\d+)<\/availability>/.exec(body.toString())?.[1]);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;

/** Timings through real sockets (printed; the bounds asserted are the 1 s). */
describe('XMPP timings: SCRAM sign-in and show → SIP watcher', () => {
  let w: World;
  let edge: RunningXmppEdge;
  const conns: RawXmpp[] = [];
  let bob: LyncClient | undefined;

  beforeEach(async () => {
    w = await startWorld({ mode: 'embedded' });
    edge = w.proc.services.find((s) => 'xmppPort' in s) as RunningXmppEdge;
  });
  afterEach(async () => {
    for (const c of conns.splice(0)) c.close();
    bob?.close();
    await w.stop();
  });

  const scramSignIn = async (user: string, password: string, resource: string) => {
    const c = await RawXmpp.secure(edge.xmppPort, edge.certificate);
    conns.push(c);
    const scram = new ScramClient('sha256', user, password);
    c.write(`<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="SCRAM-SHA-256">${Buffer.from(scram.first()).toString('base64')}</auth>`);
    const ch = await c.until(/<challenge [^>]*>([^<]+)<\/challenge>/);
    c.write(`<response xmlns="urn:ietf:params:xml:ns:xmpp-sasl">${Buffer.from(scram.final(Buffer.from(ch[1]!, 'base64').toString())).toString('base64')}</response>`);
    const ok = await c.until(/<success [^>]*>([^<]+)<\/success>/);
    expect(scram.verify(Buffer.from(ok[1]!, 'base64').toString())).toBe(true);
    c.received = '';
    c.write(`<?xml version='1.0'?><stream:stream to="contoso.com" xmlns="jabber:client" xmlns:stream="http://etherx.jabber.org/streams" version="1.0">`);
    await c.until(/<\/stream:features>/);
    c.write(`<iq type="set" id="b"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"><resource>${resource}</resource></bind></iq>`);
    await c.until(/<\/jid><\/bind><\/iq>/);
    return c;
  };

  it('signs in 20 times with SCRAM-SHA-256 over STARTTLS, and carries 20 show changes to a Lync watcher, each within 1 s', async () => {
    const signIns: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      const c = await scramSignIn('alice', 'alice-dev-password', `r${i}`);
      signIns.push(performance.now() - t0);
      if (i < 19) c.close();
    }
    const alice = conns[conns.length - 1]!;
    bob = await LyncClient.connect(w.ports.tcp, 'sip:bob@contoso.com', 'b1');
    await bob.register();
    alice.write('<presence type="subscribed" to="bob@contoso.com"/><presence/>');
    await expect.poll(async () => availabilityIn((await bob!.categorySubscribe([{ uri: ALICE }], { categories: ['state'] })).body), { timeout: 5000 }).toBe(3500);
    const changes: number[] = [];
    for (let i = 0; i < 20; i++) {
      const show = i % 2 === 0 ? 'away' : 'chat';
      const t0 = performance.now();
      alice.write(`<presence><show>${show}</show></presence>`);
      await bob.nextNotify(5000, (m) => availabilityIn(m.body) === (show === 'away' ? 15500 : 3500));
      changes.push(performance.now() - t0);
    }
    const line = (xs: number[]) => `p50 ${pct(xs, 50).toFixed(1)} ms, p99 ${pct(xs, 99).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms`;
    console.log(`XMPP SCRAM-SHA-256 sign-in over STARTTLS (20): ${line(signIns)}; show → Lync BENOTIFY (20): ${line(changes)}`);
    expect(Math.max(...changes)).toBeLessThan(1000);
  }, 60_000);
});
