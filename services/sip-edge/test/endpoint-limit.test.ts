import { endpointGone, sipRequestCommands, type EndpointGone } from '@presence/bus';
import { getHeaders } from '@presence/sip';
import { listRecords, registrations } from '@presence/state';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildRequest, TestClient } from '../../../test/support/sip-client.js';
import { startEdgeWorld, type EdgeWorld } from './support/edge-world.js';

const alice = { pool: 'pool1', user: 'sip:alice@contoso.com' };

describe('per-user endpoint limit and UDP response size (issue 12 item 3)', () => {
  let w: EdgeWorld;
  let u: TestClient;
  beforeEach(async () => {
    w = await startEdgeWorld({ PRESENCE_AUTH: 'none', REGISTER_MAX_ENDPOINTS: '3' });
    u = await TestClient.udp(w.edge.ports.udp);
  });
  afterEach(async () => {
    u.close();
    await w.stop();
  });

  it('a new endpoint past REGISTER_MAX_ENDPOINTS replaces the least recently registered one; the 200 stays small', async () => {
    const gone: EndpointGone[] = [];
    await w.bus.consume(endpointGone, 'pool1', 'publication', async (e) => void gone.push(e));
    for (let i = 0; i < 6; i++) {
      const res = await u.request(buildRequest(u, { method: 'REGISTER', epid: `ep${i}` }));
      expect(res.status).toBe(200);
      expect(getHeaders(res, 'Contact').length).toBe(Math.min(i + 1, 3));
      await new Promise((r) => setTimeout(r, 5)); // distinct registration times
    }
    expect((await listRecords(w.store, alice, registrations)).map((r) => r.id).sort()).toEqual(['ep3', 'ep4', 'ep5']);
    await expect.poll(() => gone.map((g) => `${g.epid}:${g.reason}`)).toEqual(['ep0:replaced', 'ep1:replaced', 'ep2:replaced']);
    // A refresh of a registered endpoint is not a new one: nothing is replaced.
    expect((await u.request(buildRequest(u, { method: 'REGISTER', epid: 'ep3' }))).status).toBe(200);
    await new Promise((r) => setTimeout(r, 50));
    expect(gone).toHaveLength(3);
  });

  it('refuses a REGISTER with more Contacts than the limit with 403', async () => {
    const contacts = ['a', 'b', 'c', 'd'].map((x) => ({ name: 'Contact', value: `<sip:${x}@127.0.0.1>` }));
    const res = await u.request(buildRequest(u, { method: 'REGISTER', headers: contacts }));
    expect(res.status).toBe(403);
    expect(res.reason).toBe('Too Many Contacts');
  });

  it('answers 513 over UDP when the response would not fit in a datagram, and sends it whole over TCP', async () => {
    await w.bus.handle(sipRequestCommands.publication, 'pool1', () => ({ status: 200, body: 'x'.repeat(70_000) }));
    const service = (c: TestClient) => buildRequest(c, { method: 'SERVICE', headers: [{ name: 'Content-Type', value: 'application/msrtc-category-publish+xml' }], body: '<publish/>' });
    const res = await u.request(service(u));
    expect(res.status).toBe(513);
    expect(res.reason).toBe('Response Too Large For UDP');
    const t = await TestClient.tcp(w.edge.ports.tcp);
    const big = await t.request(service(t));
    expect(big.status).toBe(200);
    expect(big.body.length).toBe(70_000);
    t.close();
  });
});
