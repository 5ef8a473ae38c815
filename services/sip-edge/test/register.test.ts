import { endpointGone, type EndpointGone } from '@presence/bus';
import { getHeader, getHeaders, serialize, type SipResponse } from '@presence/sip';
import { getRecord, listRecords, registrations } from '@presence/state';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { authorize, buildRequest, TestClient } from '../../../test/support/sip-client.js';
import { startEdgeWorld, type EdgeWorld } from './support/edge-world.js';

const ALICE = { user: 'sip:alice@contoso.com', password: 'alice-dev-password' };
const alice = { pool: 'pool1', user: 'sip:alice@contoso.com' };

async function signIn(c: TestClient, algorithm: 'SHA-256' | 'MD5' = 'SHA-256', extra: Parameters<typeof buildRequest>[1] = { method: 'REGISTER' }) {
  const reg = buildRequest(c, { ...extra, method: 'REGISTER', headers: [{ name: 'Supported', value: 'gruu-10, adhoclist, msrtc-event-categories' }, ...(extra.headers ?? [])] });
  const challenge = await c.request(reg);
  expect(challenge.status).toBe(401);
  const ok = await c.request(authorize(reg, challenge, 'alice', ALICE.password, algorithm));
  return { reg, challenge, ok };
}

describe('registrar over TCP (RFC 3261 §10, RFC 5627, [MS-PRES] §3.2.5.1.1)', () => {
  let w: EdgeWorld;
  let c: TestClient;
  beforeEach(async () => {
    w = await startEdgeWorld();
    c = await TestClient.tcp(w.edge.ports.tcp);
  });
  afterEach(async () => {
    c.close();
    await w.stop();
  });

  it('challenges an unauthenticated REGISTER with SHA-256 and MD5 digest (RFC 8760 order)', async () => {
    // A client that names itself (issue 14: one without a User-Agent is offered MD5 first, see challenge-order.ts).
    const res = await c.request(buildRequest(c, { method: 'REGISTER', headers: [{ name: 'User-Agent', value: 'UCCAPI/16.0' }] }));
    expect(res.status).toBe(401);
    const challenges = getHeaders(res, 'WWW-Authenticate');
    expect(challenges).toHaveLength(2);
    expect(challenges[0]).toMatch(/^Digest realm="contoso\.com", nonce="[A-Za-z0-9_-]{43}", opaque="[0-9a-f]+", algorithm=SHA-256, qop="auth"$/);
    expect(challenges[1]).toMatch(/algorithm=MD5, qop="auth"$/);
    expect(getHeader(res, 'To')).toMatch(/;tag=/);
    expect(await listRecords(w.store, alice, registrations)).toEqual([]);
  });

  it('answers 200 to a correctly answered REGISTER with a GRUU per endpoint, Supported and Allow-Events', async () => {
    const { ok } = await signIn(c);
    expect(ok.status).toBe(200);
    const contact = getHeader(ok, 'Contact')!;
    expect(contact).toMatch(/^<sip:127\.0\.0\.1:\d+;transport=tcp>;expires=3600;\+sip\.instance="<urn:uuid:9b2b7e1c-5c5f-5b8f-9a7b-1c1d1e1f2a2b>";gruu="sip:alice@contoso\.com;opaque=user:epid:[A-Za-z0-9_-]{22}AA;gruu";pub-gruu="sip:alice@contoso\.com;opaque=user:epid:[A-Za-z0-9_-]{22}AA;gruu"$/);
    expect(getHeader(ok, 'Expires')).toBe('3600');
    expect(getHeaders(ok, 'Supported')).toEqual(['gruu-10', 'adhoclist', 'msrtc-event-categories', 'ms-benotify', 'ms-piggyback-first-notify']);
    expect(ok.headers.filter((h) => h.name === 'Supported')).toHaveLength(5); // one header per option tag
    expect(ok.headers.find((h) => h.name === 'Allow-Events')?.value).toBe('presence,vnd-microsoft-roaming-self,vnd-microsoft-roaming-contacts,vnd-microsoft-provisioning-v2,presence.winfo');
    const [binding] = await listRecords(w.store, alice, registrations);
    expect(binding?.value).toMatchObject({ epid: 'a1b2c3d4e5', edgeId: 'edge-test', transport: 'tcp', supported: ['gruu-10', 'adhoclist', 'msrtc-event-categories'] });
    expect(contact).toContain(binding!.value.gruu);
  });

  it('accepts MD5 digest too', async () => {
    expect((await signIn(c, 'MD5')).ok.status).toBe(200);
  });

  it('refuses a wrong password with a new challenge and binds nothing', async () => {
    const reg = buildRequest(c, { method: 'REGISTER' });
    const challenge = await c.request(reg);
    const res = await c.request(authorize(reg, challenge, 'alice', 'not-the-password'));
    expect(res.status).toBe(401);
    expect(getHeaders(res, 'WWW-Authenticate')).toHaveLength(2);
    expect(await listRecords(w.store, alice, registrations)).toEqual([]);
  });

  it('refuses a replayed nonce and count, even on a new connection', async () => {
    const { reg, challenge } = await signIn(c);
    const replay = authorize(reg, challenge, 'alice', ALICE.password, 'SHA-256', 1);
    const other = await TestClient.tcp(w.edge.ports.tcp);
    try {
      const res = await other.request({ ...replay, headers: replay.headers.map((h) => (h.name === 'Via' ? { name: 'Via', value: h.value.replace(/:\d+;/, `:${other.local.port};`) } : h)) });
      expect(res.status).toBe(401);
    } finally {
      other.close();
    }
  });

  it('answers 403 when the From user is not the authenticated user', async () => {
    await signIn(c);
    const res = await c.request(buildRequest(c, { method: 'SERVICE', user: 'sip:bob@contoso.com', headers: [{ name: 'Content-Type', value: 'application/msrtc-category-publish+xml' }] }));
    expect(res.status).toBe(403);
  });

  it('answers 423 with Min-Expires to a too short registration, and caps a long one', async () => {
    const short = await signIn(c, 'SHA-256', { method: 'REGISTER', headers: [{ name: 'Expires', value: '10' }] });
    expect(short.ok.status).toBe(423);
    expect(getHeader(short.ok, 'Min-Expires')).toBe('60');
    const long = await c.request(buildRequest(c, { method: 'REGISTER', headers: [{ name: 'Expires', value: '999999' }] }));
    expect(long.status).toBe(200);
    expect(getHeader(long, 'Expires')).toBe('7200');
  });

  it('ends the binding on Expires: 0 and announces endpoint-gone (last endpoint)', async () => {
    const gone: EndpointGone[] = [];
    await w.bus.consume(endpointGone, 'pool1', 'publication', async (e) => void gone.push(e));
    await signIn(c);
    const res = await c.request(buildRequest(c, { method: 'REGISTER', headers: [{ name: 'Expires', value: '0' }] }));
    expect(res.status).toBe(200);
    expect(getHeader(res, 'Contact')).toBeUndefined();
    expect(await listRecords(w.store, alice, registrations)).toEqual([]);
    await expect.poll(() => gone).toHaveLength(1);
    expect(gone[0]).toMatchObject({ user: 'sip:alice@contoso.com', epid: 'a1b2c3d4e5', reason: 'unregistered', lastEndpoint: true });
  });

  it('ends the endpoints of a connection that closes (connection-lost)', async () => {
    const gone: EndpointGone[] = [];
    await w.bus.consume(endpointGone, 'pool1', 'subscription', async (e) => void gone.push(e));
    await signIn(c);
    c.close();
    await expect.poll(() => gone.map((g) => g.reason)).toEqual(['connection-lost']);
    expect(await getRecord(w.store, alice, registrations, 'a1b2c3d4e5')).toBeUndefined();
  });

  it('keeps two endpoints of one user apart, and only the last one gone is the last endpoint', async () => {
    const gone: EndpointGone[] = [];
    await w.bus.consume(endpointGone, 'pool1', 'publication', async (e) => void gone.push(e));
    await signIn(c);
    const d = await TestClient.tcp(w.edge.ports.tcp);
    await signIn(d, 'SHA-256', { method: 'REGISTER', epid: 'f0f0f0f0f0' });
    const res = await d.request(buildRequest(d, { method: 'REGISTER', epid: 'f0f0f0f0f0', cseq: 9 }));
    expect(getHeaders(res, 'Contact')).toHaveLength(2);
    d.close();
    c.close();
    await expect.poll(() => gone.length).toBe(2);
    expect(gone.map((g) => g.lastEndpoint).sort()).toEqual([false, true]);
  });
});

describe('digest algorithms offered (PRESENCE_DIGEST_ALGORITHMS)', () => {
  it('offers only MD5 when so configured, and refuses SHA-256 credentials', async () => {
    const w = await startEdgeWorld({ PRESENCE_DIGEST_ALGORITHMS: 'MD5' });
    const c = await TestClient.tcp(w.edge.ports.tcp);
    try {
      const reg = buildRequest(c, { method: 'REGISTER' });
      const challenge = await c.request(reg);
      expect(getHeaders(challenge, 'WWW-Authenticate')).toEqual([expect.stringMatching(/algorithm=MD5, qop="auth"$/)]);
      const sha = { ...challenge, headers: challenge.headers.map((h) => (h.name === 'WWW-Authenticate' ? { ...h, value: h.value.replace('MD5', 'SHA-256') } : h)) };
      expect((await c.request(authorize(reg, sha, 'alice', ALICE.password, 'SHA-256'))).status).toBe(401);
      expect((await c.request(authorize(reg, challenge, 'alice', ALICE.password, 'MD5', 2))).status).toBe(200);
    } finally {
      c.close();
      await w.stop();
    }
  });
});

describe('registration expiry', () => {
  it('ends an expired registration and announces endpoint-gone (expired)', async () => {
    const w = await startEdgeWorld({ REGISTER_MIN_EXPIRES: '1', PRESENCE_AUTH: 'none' });
    const c = await TestClient.udp(w.edge.ports.udp);
    try {
      const gone: EndpointGone[] = [];
      await w.bus.consume(endpointGone, 'pool1', 'aggregation', async (e) => void gone.push(e));
      const res = await c.request(buildRequest(c, { method: 'REGISTER', headers: [{ name: 'Expires', value: '1' }] }));
      expect(res.status).toBe(200);
      await expect.poll(() => gone, { timeout: 5000 }).toHaveLength(1);
      expect(gone[0]).toMatchObject({ reason: 'expired', lastEndpoint: true });
    } finally {
      c.close();
      await w.stop();
    }
  });
});

describe('registrar over UDP and TLS', () => {
  let w: EdgeWorld;
  beforeEach(async () => {
    w = await startEdgeWorld();
  });
  afterEach(async () => {
    await w.stop();
  });

  it('registers over UDP, answering a retransmitted REGISTER from its transaction without processing it twice', async () => {
    const c = await TestClient.udp(w.edge.ports.udp);
    try {
      const { reg, challenge } = await (async () => {
        const reg = buildRequest(c, { method: 'REGISTER' });
        return { reg, challenge: await c.request(reg) };
      })();
      const authed = authorize(reg, challenge, 'alice', ALICE.password);
      const first = await c.request(authed);
      expect(first.status).toBe(200);
      c.send(serialize(authed)); // the same request again: same branch, same CSeq
      const second = (await c.next((m) => m.type === 'response')) as SipResponse;
      expect(serialize(second).equals(serialize(first))).toBe(true);
      const rec = await getRecord(w.store, alice, registrations, 'a1b2c3d4e5');
      expect(rec?.version).toBe(1); // bound once
      expect(rec?.value.transport).toBe('udp');
    } finally {
      c.close();
    }
  });

  it('requires credentials on every UDP request (no connection to remember them), reusing the nonce with a higher count', async () => {
    const c = await TestClient.udp(w.edge.ports.udp);
    try {
      const reg = buildRequest(c, { method: 'REGISTER' });
      const challenge = await c.request(reg);
      expect((await c.request(authorize(reg, challenge, 'alice', ALICE.password, 'SHA-256', 1))).status).toBe(200);
      const again = buildRequest(c, { method: 'REGISTER', cseq: 5 });
      expect((await c.request(again)).status).toBe(401);
      expect((await c.request(authorize(again, challenge, 'alice', ALICE.password, 'SHA-256', 2))).status).toBe(200);
    } finally {
      c.close();
    }
  });

  it('registers over TLS with the generated certificate', async () => {
    const c = await TestClient.tls(w.edge.ports.tls, w.edge.certificate);
    try {
      const { ok } = await signIn(c);
      expect(ok.status).toBe(200);
      expect((await getRecord(w.store, alice, registrations, 'a1b2c3d4e5'))?.value.transport).toBe('tls');
    } finally {
      c.close();
    }
  });
});
