import { createResponse, getHeader, serialize, type SipRequest } from '@presence/sip';
import { LyncClient } from './support/lync-client.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sendMessage, takeMessage } from './support/page-message.js';
import { PidfClient } from './support/pidf-client.js';

/** Two pools: alice and bob homed in A, carol and john in B; `edgeA`/`edgeB` are the edges clients of each use. */
export interface MessageWorld {
  readonly edgeA: number;
  readonly edgeB: number;
  stop(): Promise<void>;
}

const ALICE = 'sip:alice@contoso.com';
const BOB = 'sip:bob@contoso.com';
const CAROL = 'sip:carol@contoso.com';

const send = sendMessage;

/**
 * Issue 14 item 4: page-mode MESSAGE (RFC 3428) relayed to the recipient's registered endpoints
 * through the edge that holds each, in any pool; 480 with no endpoint, 404 for an unknown user,
 * 413 over `SIP_MESSAGE_MAX_BYTES`, 400 for a malformed one. Real sockets throughout.
 */
export function pageMessages(name: string, make: () => Promise<MessageWorld>): void {
  describe(`page-mode MESSAGE (RFC 3428): ${name}`, () => {
    let w: MessageWorld;
    const clients: PidfClient[] = [];
    const lyncs: LyncClient[] = [];
    const client = async (port: number, user: string, register = true) => {
      const c = await PidfClient.connect(port, user);
      clients.push(c);
      if (register) expect((await c.register()).status).toBe(200);
      return c;
    };
    beforeEach(async () => {
      w = await make();
    });
    afterEach(async () => {
      for (const c of [...clients.splice(0), ...lyncs.splice(0)]) c.close();
      await w.stop();
    });

    it('lists MESSAGE in Allow (RFC 3261 §20.5)', async () => {
      const alice = await client(w.edgeA, ALICE, false);
      const res = await alice.request('OPTIONS', { uri: 'sip:contoso.com' });
      expect(getHeader(res, 'Allow')).toBe('REGISTER,OPTIONS,SUBSCRIBE,SERVICE,PUBLISH,MESSAGE,ACK,CANCEL');
    });

    it('delivers alice→bob to both of bob’s endpoints, each on its own connection, and answers 200', { timeout: 30_000 }, async () => {
      const alice = await client(w.edgeA, ALICE);
      const bob1 = await client(w.edgeA, BOB);
      const bob2 = await client(w.edgeA, BOB);
      const answer = send(alice, BOB, 'Hello Bob ☕');
      const [m1, m2] = await Promise.all([takeMessage(bob1, 200), takeMessage(bob2, 200)]);
      const res = await answer;
      expect(res.status).toBe(200);
      for (const [m, c] of [[m1, bob1], [m2, bob2]] as const) {
        // RFC 3261 §10.2.1.1: a request for a registered endpoint goes to its registered Contact.
        expect(m.uri).toBe(c.contact);
        expect(getHeader(m, 'From')).toMatch(/^<sip:alice@contoso\.com>;tag=\S+$/);
        expect(getHeader(m, 'To')).toBe(`<${BOB}>`);
        expect(getHeader(m, 'CSeq')).toBe('1 MESSAGE');
        expect(getHeader(m, 'Content-Type')).toBe('text/plain;charset=UTF-8');
        expect(m.body.toString('utf8')).toBe('Hello Bob ☕');
      }
      expect(getHeader(m1, 'Call-ID')).not.toBe(getHeader(m2, 'Call-ID'));
      // The sender's own connection got nothing but its 200.
      expect(alice.sip.received.filter((x) => x.type === 'request')).toEqual([]);
    });

    it('a user messaging themself reaches their other endpoints, not the sending one (its epid)', { timeout: 30_000 }, async () => {
      const a1 = await LyncClient.connect(w.edgeA, ALICE, 'aaaa1');
      const a2 = await LyncClient.connect(w.edgeA, ALICE, 'aaaa2');
      lyncs.push(a1, a2);
      await a1.register();
      await a2.register();
      const res = a1.request('MESSAGE', { to: ALICE, uri: ALICE, headers: [{ name: 'Content-Type', value: 'text/plain' }], body: 'note to self' });
      const m = (await a2.sip.next((x) => x.type === 'request' && x.method === 'MESSAGE', 8000)) as SipRequest;
      a2.sip.send(serialize(createResponse(m, 200, { toTag: 'self' })));
      expect(m.body.toString()).toBe('note to self');
      expect((await res).status).toBe(200);
      expect(a1.sip.received.filter((x) => x.type === 'request' && x.method === 'MESSAGE')).toEqual([]);
    });

    it('delivers to a user homed in the other pool, on the edge that holds her connection', { timeout: 30_000 }, async () => {
      const alice = await client(w.edgeA, ALICE);
      const carol = await client(w.edgeB, CAROL);
      const answer = send(alice, CAROL, 'hi carol');
      const m = await takeMessage(carol, 200);
      expect((await answer).status).toBe(200);
      expect(m.body.toString()).toBe('hi carol');
      // And back: carol (pool B) to alice (pool A).
      const back = send(carol, ALICE, 'hi alice');
      expect((await takeMessage(alice, 200)).body.toString()).toBe('hi alice');
      expect((await back).status).toBe(200);
    });

    it('answers 480 when the recipient has no endpoint: never registered, or signed out', { timeout: 30_000 }, async () => {
      const alice = await client(w.edgeA, ALICE);
      expect((await send(alice, CAROL, 'anyone?')).status).toBe(480);
      const bob = await client(w.edgeA, BOB);
      const out = await bob.request('REGISTER', { uri: 'sip:contoso.com', headers: [{ name: 'Contact', value: `<${bob.contact}>` }, { name: 'Expires', value: '0' }] });
      expect(out.status).toBe(200);
      const res = await send(alice, BOB, 'gone?');
      expect(res).toMatchObject({ status: 480, reason: 'Temporarily Unavailable' });
      expect(bob.sip.received.filter((x) => x.type === 'request')).toEqual([]);
    });

    it('answers 480 when every endpoint refuses, and 200 when one of two takes it and the other never answers', { timeout: 40_000 }, async () => {
      const alice = await client(w.edgeA, ALICE);
      const bob1 = await client(w.edgeA, BOB);
      const refused = send(alice, BOB, 'busy?');
      await takeMessage(bob1, 486);
      expect((await refused).status).toBe(480);
      const bob2 = await client(w.edgeA, BOB);
      const started = Date.now();
      const answer = send(alice, BOB, 'one of you');
      await Promise.all([takeMessage(bob1, null), takeMessage(bob2, 200)]);
      // The silent endpoint is given up after the edge's delivery timeout (5 s), then the 200 comes.
      const res = await answer;
      expect(res.status).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(4500);
    });

    it('answers 404 for a user the directory does not know, and for a domain not served', async () => {
      const alice = await client(w.edgeA, ALICE);
      expect(await send(alice, 'sip:nobody@contoso.com', 'hello?')).toMatchObject({ status: 404, reason: 'No Such User' });
      expect(await send(alice, 'sip:bob@fabrikam.com', 'hello?')).toMatchObject({ status: 404, reason: 'Not A Domain Of This Server' });
    });

    it('answers 413 to a body over SIP_MESSAGE_MAX_BYTES (16 KiB by default) and relays nothing', async () => {
      const alice = await client(w.edgeA, ALICE);
      const bob = await client(w.edgeA, BOB);
      const res = await send(alice, BOB, 'x'.repeat(16_385));
      expect(res).toMatchObject({ status: 413, reason: 'Message Larger Than 16384 Bytes' });
      await new Promise((r) => setTimeout(r, 200));
      expect(bob.sip.received.filter((x) => x.type === 'request')).toEqual([]);
      // Exactly the limit is relayed whole.
      const atLimit = send(alice, BOB, 'y'.repeat(16_384));
      expect((await takeMessage(bob, 200)).body.length).toBe(16_384);
      expect((await atLimit).status).toBe(200);
    });

    it('answers 400 to a malformed MESSAGE (no body, no or bad Content-Type, a To tag outside a dialog → 481) and relays nothing', async () => {
      const alice = await client(w.edgeA, ALICE);
      const bob = await client(w.edgeA, BOB);
      expect(await send(alice, BOB, '')).toMatchObject({ status: 400, reason: 'Missing Message Body' });
      expect(await send(alice, BOB, 'text', [])).toMatchObject({ status: 400, reason: 'Missing Or Bad Content-Type' });
      expect(await send(alice, BOB, 'text', [{ name: 'Content-Type', value: 'text' }])).toMatchObject({ status: 400, reason: 'Missing Or Bad Content-Type' });
      expect((await alice.request('MESSAGE', { to: BOB, uri: BOB, toTag: 'abc', headers: [{ name: 'Content-Type', value: 'text/plain' }], body: 'x' })).status).toBe(481);
      await new Promise((r) => setTimeout(r, 200));
      expect(bob.sip.received.filter((x) => x.type === 'request')).toEqual([]);
      // The connection keeps serving.
      const ok = send(alice, BOB, 'fine');
      await takeMessage(bob, 200);
      expect((await ok).status).toBe(200);
    });
  });
}
