import { sipRequestCommands } from '@presence/bus';
import { getHeader, serialize, type SipResponse } from '@presence/sip';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildRequest, TestClient } from '../../../test/support/sip-client.js';
import { startEdgeWorld, type EdgeWorld } from './support/edge-world.js';

const PUBLISH_TYPE = { name: 'Content-Type', value: 'application/msrtc-category-publish+xml' };

describe('bounded requests in progress per connection, per user and per edge (issue 12 item 2)', () => {
  let w: EdgeWorld;
  let release: () => void;
  let started = 0;
  const clients: TestClient[] = [];
  const tcp = async () => {
    const c = await TestClient.tcp(w.edge.ports.tcp);
    clients.push(c);
    return c;
  };
  /** Sends `n` SERVICEs as `user` at once; resolves with the responses that arrive within `ms`. */
  const burst = async (c: TestClient, n: number, user: string, ms: number): Promise<SipResponse[]> => {
    const got: SipResponse[] = [];
    for (let i = 0; i < n; i++) c.send(serialize(buildRequest(c, { method: 'SERVICE', user, headers: [PUBLISH_TYPE], body: '<publish/>' })));
    const until = Date.now() + ms;
    while (Date.now() < until) {
      const r = await c.next((m) => m.type === 'response' && !got.includes(m as SipResponse), until - Date.now()).catch(() => undefined);
      if (!r) break;
      got.push(r as SipResponse);
    }
    return got;
  };

  beforeEach(async () => {
    w = await startEdgeWorld({
      PRESENCE_AUTH: 'none',
      BUS_REQUEST_TIMEOUT_MS: '10000',
      SIP_MAX_IN_FLIGHT_PER_CONNECTION: '4',
      SIP_MAX_IN_FLIGHT_PER_USER: '6',
      SIP_MAX_IN_FLIGHT: '9',
    });
    started = 0;
    const gate = new Promise<void>((r) => (release = r));
    // A service that holds every request until released: what a stuck or slow service looks like.
    await w.bus.handle(sipRequestCommands.publication, 'pool1', async () => {
      started++;
      await gate;
      return { status: 200 };
    });
  });
  afterEach(async () => {
    release();
    for (const c of clients.splice(0)) c.close();
    await w.stop();
  });

  it('answers the excess of one connection at once with 503 and Retry-After, before any work', async () => {
    const c = await tcp();
    const t0 = Date.now();
    const fast = await burst(c, 10, 'sip:alice@contoso.com', 500);
    expect(fast).toHaveLength(6);
    expect(Date.now() - t0).toBeLessThan(2000);
    for (const r of fast) {
      expect(r.status).toBe(503);
      expect(r.reason).toBe('Too Many Requests In Progress');
      expect(getHeader(r, 'Retry-After')).toBe('5');
    }
    expect(started).toBe(4);
    release();
    const rest = await burst(c, 0, 'sip:alice@contoso.com', 1000);
    expect(rest.map((r) => r.status)).toEqual([200, 200, 200, 200]);
  });

  it('bounds a user over all their connections, the edge over all users, and keeps answering others', async () => {
    const a1 = await tcp();
    const a2 = await tcp();
    expect(await burst(a1, 4, 'sip:alice@contoso.com', 200)).toEqual([]);
    // Alice has 4 in progress: her second connection gets 2 more, then 503 (user limit 6).
    const second = await burst(a2, 4, 'sip:alice@contoso.com', 300);
    expect(second.map((r) => r.status)).toEqual([503, 503]);
    expect(started).toBe(6);
    // Bob is not Alice: he gets his share, up to the edge's limit of 9 (3 more), then 503.
    const b = await tcp();
    const bob = await burst(b, 4, 'sip:bob@contoso.com', 300);
    expect(bob.map((r) => r.status)).toEqual([503]);
    expect(started).toBe(9);
    // The edge is full: a fresh connection's SERVICE gets 503, its OPTIONS (no work) still 200.
    const other = await tcp();
    expect((await other.request(buildRequest(other, { method: 'SERVICE', user: 'sip:carol@contoso.com', headers: [PUBLISH_TYPE], body: '<publish/>' }))).status).toBe(503);
    expect((await other.request(buildRequest(other, { method: 'OPTIONS' }))).status).toBe(200);
    release();
    await new Promise((r) => setTimeout(r, 200));
    expect((await other.request(buildRequest(other, { method: 'OPTIONS' }))).status).toBe(200);
    expect((await other.request(buildRequest(other, { method: 'SERVICE', user: 'sip:carol@contoso.com', headers: [PUBLISH_TYPE], body: '<publish/>' }))).status).toBe(200);
  });
});
