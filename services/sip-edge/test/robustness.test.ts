import { fc } from '@fast-check/vitest';
import { getHeader, serialize } from '@presence/sip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorize, buildRequest, TestClient } from '../../../test/support/sip-client.js';
import { startEdgeWorld, type EdgeWorld } from './support/edge-world.js';

/**
 * Malformed messages that still frame (a Content-Length that matches), so that each one reaches the
 * parser and deserves its own 400: broken start lines, header lines, CSeq, URIs, encodings.
 */
// Lines that would change the framing (an empty line ends the headers; a Content-Length line) are
// left out here: those close the connection, which the framing test below covers.
const junkLine = fc.oneof(
  fc.stringMatching(/^[!-~][ -~]{0,59}$/).filter((l) => !/^(content-length|l)\s*:/i.test(l)),
  fc.constantFrom('OPTIONS sip:x SIP/2.0', 'REGISTER  sip:contoso.com SIP/2.0', 'SIP/2.0 abc', 'INVITE', ':', 'CSeq: one OPTIONS', 'Via: nonsense', 'From: <sip:', 'Max-Forwards: -1', 'Expires: soon', '\u00ff\u00fe'),
);
const malformed = fc
  .tuple(fc.array(junkLine, { minLength: 1, maxLength: 8 }), fc.integer({ min: 0, max: 40 }))
  .map(([lines, n]) => {
    const body = 'b'.repeat(n);
    // The first line is never a valid request line, so the message is malformed whatever follows.
    const head = [`BAD${lines[0]} `, ...lines.slice(1), 'Call-ID: fuzz', `Content-Length: ${body.length}`].join('\r\n');
    return Buffer.from(`${head}\r\n\r\n${body}`, 'latin1');
  });

describe('robustness: bad input never crashes the edge nor changes its state', () => {
  let w: EdgeWorld;
  beforeAll(async () => {
    w = await startEdgeWorld();
  });
  afterAll(async () => {
    await w.stop();
  });

  it('answers 10,000 random malformed messages on one TCP connection each with a 400, then registers normally', async () => {
    const c = await TestClient.tcp(w.edge.ports.tcp);
    const samples = fc.sample(malformed, { numRuns: 10_000, seed: 42 });
    let answered = 0;
    for (let i = 0; i < samples.length; i += 500) {
      c.send(Buffer.concat(samples.slice(i, i + 500)));
      while (answered < Math.min(i + 500, samples.length)) {
        const r = await c.next((m) => m.type === 'response', 10_000).catch((e) => {
          throw new Error(`after ${answered} answers (closed=${c.closed}): ${(e as Error).message}; around: ${JSON.stringify(samples.slice(answered, answered + 2).map((b) => b.toString('latin1')))}`);
        });
        expect(r.type === 'response' && r.status).toBe(400);
        answered++;
      }
    }
    expect(answered).toBe(10_000);
    expect(c.closed).toBe(false);
    const reg = buildRequest(c, { method: 'REGISTER' });
    const challenge = await c.request(reg);
    expect((await c.request(authorize(reg, challenge, 'alice', 'alice-dev-password'))).status).toBe(200);
    c.close();
  }, 60_000);

  it('closes a connection whose stream cannot be framed, and serves new connections', async () => {
    const c = await TestClient.tcp(w.edge.ports.tcp);
    c.send(Buffer.from('OPTIONS sip:x@contoso.com SIP/2.0\r\nVia: SIP/2.0/TCP a;branch=z9hG4bK1\r\nContent-Length: banana\r\n\r\n'));
    await expect.poll(() => c.closed).toBe(true);
    const d = await TestClient.tcp(w.edge.ports.tcp);
    expect((await d.request(buildRequest(d, { method: 'OPTIONS' }))).status).toBe(200);
    d.close();
  });

  it('drops UDP garbage without a Via (no blind answers), and answers UDP garbage with one', async () => {
    const u = await TestClient.udp(w.edge.ports.udp);
    u.send(Buffer.from('\u0001\u0002 not sip at all'));
    u.send(Buffer.from('BROKEN\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKx\r\nCall-ID: g1\r\n\r\n'));
    const r = await u.next((m) => m.type === 'response');
    expect(r.type === 'response' && r.status).toBe(400);
    expect(getHeader(r, 'Call-ID')).toBe('g1');
    await new Promise((res) => setTimeout(res, 100));
    expect(u.received).toEqual([]);
    expect((await u.request(buildRequest(u, { method: 'OPTIONS' }))).status).toBe(200);
    u.close();
  });

  it('answers a header block over the limit by closing the connection, without buffering it', async () => {
    const c = await TestClient.tcp(w.edge.ports.tcp);
    c.send(Buffer.from(`OPTIONS sip:x@contoso.com SIP/2.0\r\nSubject: ${'a'.repeat(64 * 1024)}`));
    await expect.poll(() => c.closed).toBe(true);
  });

  it('answers an unparseable request with its salvaged headers', async () => {
    const c = await TestClient.tcp(w.edge.ports.tcp);
    const good = serialize(buildRequest(c, { method: 'OPTIONS', callId: 'salvage-1' }));
    c.send(Buffer.from(good.toString('latin1').replace('OPTIONS sip:alice@contoso.com SIP/2.0', 'OPTIONS  SIP/2.0'), 'latin1'));
    const r = await c.next((m) => m.type === 'response');
    expect(getHeader(r, 'Call-ID')).toBe('salvage-1');
    expect(getHeader(r, 'To')).toMatch(/;tag=/);
    c.close();
  });
});
