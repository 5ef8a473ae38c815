import { getHeader, getHeaders } from '@presence/sip';
import { MemoryStore } from '@presence/state';
import { afterEach, describe, expect, it } from 'vitest';
import { authorize, buildRequest, TestClient } from '../../../test/support/sip-client.js';
import { startEdgeWorld, type EdgeWorld } from './support/edge-world.js';
import { recordingLogger } from '../../../test/support/recording-logger.js';

describe('digest hardening (issue 12 items 5 and 6)', () => {
  const worlds: EdgeWorld[] = [];
  const clients: TestClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    for (const w of worlds.splice(0)) await w.stop();
  });
  const world = async (env: Record<string, string> = {}, o: Parameters<typeof startEdgeWorld>[1] = {}) => {
    const w = await startEdgeWorld(env, o);
    worlds.push(w);
    return w;
  };
  const udp = async (w: EdgeWorld) => {
    const c = await TestClient.udp(w.edge.ports.udp);
    clients.push(c);
    return c;
  };

  it('refuses credentials whose uri is not the Request-URI (RFC 7616 §3.4.6), though their digest is right for that uri', async () => {
    const w = await world();
    const c = await udp(w);
    const reg = buildRequest(c, { method: 'REGISTER', uri: 'sip:contoso.com' });
    const challenge = await c.request(reg);
    const forOther = authorize({ ...reg, uri: 'sip:other.contoso.com' }, challenge, 'alice', 'alice-dev-password');
    expect((await c.request({ ...forOther, uri: 'sip:contoso.com' })).status).toBe(401);
    // Such credentials with the matching Request-URI pass (the digest itself is sound): 404, another domain.
    const matching = authorize({ ...reg, uri: 'sip:other.contoso.com' }, challenge, 'alice', 'alice-dev-password', 'SHA-256', 2);
    expect((await c.request(matching)).status).toBe(404);
  });

  it('takes credentials whose uri is the address the client sent to, as SIPp computes them (uri="sip:<server ip>:<port>")', async () => {
    const w = await world();
    const c = await udp(w);
    const reg = buildRequest(c, { method: 'REGISTER', uri: 'sip:contoso.com' });
    const challenge = await c.request(reg);
    const atServer = authorize({ ...reg, uri: `sip:127.0.0.1:${w.edge.ports.udp}` }, challenge, 'alice', 'alice-dev-password');
    expect((await c.request({ ...atServer, uri: 'sip:contoso.com' })).status).toBe(200);
    // Another port on the same host is another server: refused.
    const otherPort = authorize({ ...reg, uri: `sip:127.0.0.1:${w.edge.ports.udp + 1}` }, challenge, 'alice', 'alice-dev-password', 'SHA-256', 2);
    expect((await c.request({ ...otherPort, uri: 'sip:contoso.com' })).status).toBe(401);
  });

  it('a wrong password with a high nc does not burn the nonce for the real client', async () => {
    const w = await world();
    const c = await udp(w);
    const reg = buildRequest(c, { method: 'REGISTER' });
    const challenge = await c.request(reg);
    const wrong = authorize(reg, challenge, 'alice', 'not-her-password', 'SHA-256', 0x1000);
    expect((await c.request(wrong)).status).toBe(401);
    expect((await c.request(authorize(reg, challenge, 'alice', 'alice-dev-password', 'SHA-256', 1))).status).toBe(200);
    // The count now recorded is 1: the same count again is a replay, the next one is fine.
    const again = authorize(reg, challenge, 'alice', 'alice-dev-password', 'SHA-256', 1);
    expect((await c.request(again)).status).toBe(401);
    expect((await c.request(authorize(reg, challenge, 'alice', 'alice-dev-password', 'SHA-256', 2))).status).toBe(200);
  });

  it('throttles failed attempts per user: refused with 403 and Retry-After, even with the right password; one log line per failure', async () => {
    const { logger, lines } = recordingLogger();
    const w = await world({ SIP_AUTH_MAX_FAILURES_PER_USER: '3' }, { logger });
    const c = await udp(w);
    const reg = buildRequest(c, { method: 'REGISTER' });
    const challenge = await c.request(reg);
    for (let i = 1; i <= 3; i++) expect((await c.request(authorize(reg, challenge, 'alice', `guess-${i}`, 'SHA-256', i))).status).toBe(401);
    const refused = await c.request(authorize(reg, challenge, 'alice', 'alice-dev-password', 'SHA-256', 4));
    expect(refused.status).toBe(403);
    expect(refused.reason).toBe('Too Many Failed Attempts');
    expect(Number(getHeader(refused, 'Retry-After'))).toBeGreaterThan(200);
    const failures = lines.filter((l) => l.event === 'sip-auth-failure');
    expect(failures.map((l) => [l.source, l.user, l.reason])).toEqual([
      ['127.0.0.1', 'sip:alice@contoso.com', 'wrong password'],
      ['127.0.0.1', 'sip:alice@contoso.com', 'wrong password'],
      ['127.0.0.1', 'sip:alice@contoso.com', 'wrong password'],
      ['127.0.0.1', 'sip:alice@contoso.com', 'throttled'],
    ]);
    // Bob, from the same address, is not Alice.
    const bobReg = buildRequest(c, { method: 'REGISTER', user: 'sip:bob@contoso.com' });
    expect((await c.request(authorize(bobReg, await c.request(bobReg), 'bob', 'bob-dev-password'))).status).toBe(200);
  });

  it('throttles failed attempts per source address over all users', async () => {
    const w = await world({ SIP_AUTH_MAX_FAILURES_PER_SOURCE: '4' });
    const c = await udp(w);
    for (const [i, user] of ['alice', 'bob', 'carol', 'nobody'].entries()) {
      const r = buildRequest(c, { method: 'REGISTER', user: `sip:${user}@contoso.com` });
      expect((await c.request(authorize(r, await c.request(r), user, `guess-${i}`))).status).toBe(401);
    }
    const john = buildRequest(c, { method: 'REGISTER', user: 'sip:john@contoso.com' });
    expect((await c.request(authorize(john, await c.request(john), 'john', 'john-dev-password'))).status).toBe(403);
  });

  it('with a shared PRESENCE_NONCE_SECRET and store, a nonce of one edge is good on another, and a replay is refused on both', async () => {
    const store = new MemoryStore();
    const secret = { PRESENCE_NONCE_SECRET: 's'.repeat(40) };
    const a = await world(secret, { store, instanceId: 'edge-a' });
    const b = await world(secret, { store, instanceId: 'edge-b' });
    const ca = await udp(a);
    const cb = await udp(b);
    const reg = buildRequest(ca, { method: 'REGISTER' });
    const challenge = await ca.request(reg);
    const first = authorize(reg, challenge, 'alice', 'alice-dev-password', 'SHA-256', 1);
    expect((await cb.request(first)).status).toBe(200);
    // The same count again, at the other edge: a replay.
    expect((await ca.request({ ...first, headers: first.headers.map((h) => (h.name === 'CSeq' ? { name: 'CSeq', value: '9 REGISTER' } : h)) })).status).toBe(401);
    expect((await ca.request(authorize(reg, challenge, 'alice', 'alice-dev-password', 'SHA-256', 2))).status).toBe(200);
    // Without the shared secret another edge does not know the nonce.
    const other = await world({}, { store, instanceId: 'edge-c' });
    const cc = await udp(other);
    const res = await cc.request(authorize(reg, challenge, 'alice', 'alice-dev-password', 'SHA-256', 3));
    expect(res.status).toBe(401);
    expect(getHeaders(res, 'WWW-Authenticate').length).toBeGreaterThan(0);
  });

  it('a wrong password leaves no per-nonce state behind (bounded: nothing is kept for bad credentials)', async () => {
    const w = await world({ SIP_AUTH_MAX_FAILURES_PER_USER: '1000', SIP_AUTH_MAX_FAILURES_PER_SOURCE: '1000' });
    const c = await udp(w);
    for (let i = 0; i < 50; i++) {
      const r = buildRequest(c, { method: 'REGISTER' });
      expect((await c.request(authorize(r, await c.request(r), 'alice', 'wrong'))).status).toBe(401);
    }
    expect(await w.store.due('_nonce', 'nc', Number.MAX_SAFE_INTEGER, 1000)).toEqual([]);
  });
});
