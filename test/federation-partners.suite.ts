import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getHeader } from '@presence/sip';
import { getRecord, subscribers, type Store } from '@presence/state';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registerInDomain, sendMessage, takeMessage } from './support/page-message.js';
import { PidfClient, pidfDoc } from './support/pidf-client.js';

/** Two deployments: contoso.com (A) and fabrikam.com (B), each the other's partner. */
export interface PartnerWorlds {
  readonly portA: number;
  readonly portB: number;
  readonly storeB: Store;
  readonly poolB: string;
  stop(): Promise<void>;
}

const ALICE = 'sip:alice@contoso.com';
const BOB = 'sip:bob@fabrikam.com';

/** A users file for one domain. */
export function domainUsers(domain: string, names: string[]): string {
  const file = join(mkdtempSync(join(tmpdir(), 'partners-')), 'users.json');
  writeFileSync(file, JSON.stringify({ users: names.map((n) => ({ uri: `sip:${n}@${domain}`, password: `${n}-pw`, displayName: n })) }));
  return file;
}

/** A free loopback port for SIP (UDP and TCP take the same number). */
export async function freeSipPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** The env of deployment `domain` whose partner `other` listens on `otherPort`. */
export function partnerEnv(domain: string, users: string[], port: number, other: string, otherPort: number): Record<string, string> {
  return {
    PRESENCE_DOMAINS: domain,
    PRESENCE_USERS_FILE: domainUsers(domain, users),
    SIP_PORT: String(port),
    PRESENCE_FEDERATION_PARTNERS: `${other}=sip:127.0.0.1:${otherPort};transport=tcp`,
  };
}

const message = sendMessage;

const basicOf = (m: { body: Buffer }) => /<basic>(\w+)<\/basic>/.exec(m.body.toString())?.[1];
const activityOf = (m: { body: Buffer }) => /<ep:activity>([^<]+)<\/ep:activity>/.exec(m.body.toString())?.[1];

/**
 * Issue 14 item 5: two deployments of this server federate both ways (contoso.com and fabrikam.com,
 * each configured with PRESENCE_FEDERATION_PARTNERS naming the other, over TCP): presence (a
 * watcher in one domain subscribes to a user of the other; NOTIFYs come back through both edges)
 * and page-mode MESSAGE; the partner's watcher is served as `federated`; other foreign domains 403.
 */
export function partnerFederation(name: string, make: () => Promise<PartnerWorlds>): void {
  describe(`federation with a partner deployment: ${name}`, () => {
    let w: PartnerWorlds;
    const clients: PidfClient[] = [];
    const client = async (port: number, user: string) => {
      const c = await PidfClient.connect(port, user);
      clients.push(c);
      expect((await registerInDomain(c)).status).toBe(200);
      return c;
    };
    beforeEach(async () => {
      w = await make();
    });
    afterEach(async () => {
      for (const c of clients.splice(0)) c.close();
      await w.stop();
    });

    it('relays MESSAGE both ways: contoso alice → fabrikam bob, and back', { timeout: 40_000 }, async () => {
      const alice = await client(w.portA, ALICE);
      const bob = await client(w.portB, BOB);
      const sent = message(alice, BOB, 'hello from contoso');
      const got = await takeMessage(bob, 200);
      expect(got.body.toString()).toBe('hello from contoso');
      expect(getHeader(got, 'From')).toMatch(/^<sip:alice@contoso\.com>;tag=/);
      expect(getHeader(got, 'To')).toBe(`<${BOB}>`);
      expect((await sent).status).toBe(200);
      const back = message(bob, ALICE, 'hello from fabrikam');
      expect((await takeMessage(alice, 200)).body.toString()).toBe('hello from fabrikam');
      expect((await back).status).toBe(200);
      // A partner user with no endpoint: the partner's 480 comes back.
      expect((await message(alice, 'sip:carol@fabrikam.com', 'anyone?')).status).toBe(480);
      expect((await message(alice, 'sip:nobody@fabrikam.com', 'anyone?')).status).toBe(404);
    });

    it('relays presence both ways: a watcher in each domain sees the other’s user, as federated', { timeout: 40_000 }, async () => {
      const alice = await client(w.portA, ALICE);
      const bob = await client(w.portB, BOB);
      const published = await bob.publish(pidfDoc(BOB, 'open', ['on-the-phone']));
      expect(published.status).toBe(200);
      // contoso alice watches fabrikam bob: out through A's edge, served by B, NOTIFYs back through A.
      const { res, dialog } = await alice.subscribe(BOB, { expires: 3600 });
      expect(res.status).toBe(200);
      expect(dialog.toTag).toMatch(/^fed-[0-9A-F]{8}$/);
      const first = await alice.nextNotify(dialog, 8000);
      expect(getHeader(first, 'Event')).toBe('presence');
      // Container 100 (federated) shows busy without the on-the-phone token a colleague (container 200) sees.
      expect([basicOf(first), activityOf(first)]).toEqual(['open', 'busy']);
      // B keeps alice as a federated subscriber of bob ([MS-PRES] §3.7.5.3): container 100 rules.
      expect((await getRecord(w.storeB, { pool: w.poolB, user: BOB }, subscribers, ALICE))?.value).toMatchObject({ sourceNetwork: 'federated' });
      // A change at B reaches alice at A.
      expect((await bob.publish(pidfDoc(BOB, 'open', ['vacation']), { etag: getHeader(published, 'SIP-ETag')! })).status).toBe(200);
      const next = await alice.nextNotify(dialog, 8000);
      expect([basicOf(next), activityOf(next)]).toEqual(['open', 'away']);
      // And the other way: fabrikam bob watches contoso alice.
      expect((await alice.publish(pidfDoc(ALICE, 'open', ['busy']))).status).toBe(200);
      const back = await bob.subscribe(ALICE, { expires: 3600 });
      expect(back.res.status).toBe(200);
      const seen = await bob.nextNotify(back.dialog, 8000);
      expect([basicOf(seen), activityOf(seen)]).toEqual(['open', 'busy']);
      // A NOTIFY for that dialog from anyone but the partner is not relayed (405, as any NOTIFY to this server).
      const carol = await client(w.portA, 'sip:carol@contoso.com');
      const forged = await carol.request('NOTIFY', {
        uri: alice.contact,
        to: ALICE,
        callId: dialog.callId,
        headers: [{ name: 'Event', value: 'presence' }, { name: 'Subscription-State', value: 'active' }, { name: 'Content-Type', value: 'application/pidf+xml' }],
        body: pidfDoc(BOB, 'closed'),
      });
      expect(forged.status).toBe(405);
      await new Promise((r) => setTimeout(r, 200));
      expect(alice.pending(dialog)).toEqual([]);
      // Unsubscribe through the partner: 200 and a final terminated NOTIFY, relayed.
      const un = await alice.resubscribe(dialog, 0);
      expect(un.status).toBe(200);
      const last = await alice.nextNotify(dialog, 8000);
      expect(getHeader(last, 'subscription-state')).toMatch(/^terminated/);
    });

    it('answers 403 to a From in a domain that is neither served nor a partner', { timeout: 20_000 }, async () => {
      const evil = await PidfClient.connect(w.portA, 'sip:mallory@evil.example');
      clients.push(evil);
      const res = await evil.request('SUBSCRIBE', { to: ALICE, headers: [{ name: 'Event', value: 'presence' }, { name: 'Contact', value: `<${evil.contact}>` }] });
      expect(res).toMatchObject({ status: 403, reason: 'Domain Not Federated' });
    });
  });
}
