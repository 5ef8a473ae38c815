import { edgeSend, notifyOutcome, type NotifyOutcome } from '@presence/bus';
import { createResponse, getHeader, serialize, type SipRequest } from '@presence/sip';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildRequest, TestClient } from '../../../test/support/sip-client.js';
import { startEdgeWorld, type EdgeWorld } from './support/edge-world.js';

describe('outbound NOTIFY and BENOTIFY through the edge (sip.edge.<edgeId>.send)', () => {
  let w: EdgeWorld;
  let c: TestClient;
  let connectionId: string;
  const outcomes: NotifyOutcome[] = [];

  beforeEach(async () => {
    outcomes.length = 0;
    w = await startEdgeWorld({ PRESENCE_AUTH: 'none' });
    await w.bus.consume(notifyOutcome, 'pool1', 'subscription', async (o) => void outcomes.push(o));
    c = await TestClient.tcp(w.edge.ports.tcp);
    expect((await c.request(buildRequest(c, { method: 'REGISTER' }))).status).toBe(200);
    connectionId = [...(await w.store.list<{ connectionId: string }>({ pool: 'pool1', user: 'sip:alice@contoso.com' }, 'reg'))][0]!.value.connectionId;
  });
  afterEach(async () => {
    c.close();
    await w.stop();
  });

  const notify = (method: 'NOTIFY' | 'BENOTIFY', ref: string) => ({
    pool: 'pool1',
    connectionId,
    method,
    uri: 'sip:alice@contoso.com',
    ref,
    headers: [
      { name: 'From', value: '<sip:alice@contoso.com>;tag=srv1' },
      { name: 'To', value: '<sip:alice@contoso.com>;tag=cli1' },
      { name: 'Call-ID', value: 'dialog-1' },
      { name: 'CSeq', value: '2 ' + method },
      { name: 'Event', value: 'vnd-microsoft-roaming-self' },
      { name: 'Subscription-State', value: 'active;expires=3600' },
      { name: 'Content-Type', value: 'application/vnd-microsoft-roaming-self+xml' },
    ],
    body: '<roamingData xmlns="http://schemas.microsoft.com/2006/09/sip/roaming-self"/>',
  });

  it('sends a NOTIFY on the client connection and reports the client’s final response as an event', async () => {
    const reply = await w.bus.request(edgeSend, 'edge-test', notify('NOTIFY', 'r1'));
    expect(reply).toEqual({ sent: true });
    const n = (await c.next((m) => m.type === 'request' && m.method === 'NOTIFY')) as SipRequest;
    expect(getHeader(n, 'Via')).toMatch(/^SIP\/2\.0\/TCP 127\.0\.0\.1:\d+;branch=z9hG4bK[0-9a-f]{20}$/);
    expect(getHeader(n, 'Max-Forwards')).toBe('70');
    expect(getHeader(n, 'Content-Length')).toBe(String(Buffer.byteLength(notify('NOTIFY', 'r1').body)));
    expect(n.body.toString()).toContain('roamingData');
    c.send(serialize(createResponse(n, 481)));
    await expect.poll(() => outcomes).toHaveLength(1);
    expect(outcomes[0]).toEqual({ ref: 'r1', edgeId: 'edge-test', connectionId, callId: 'dialog-1', status: 481 });
  });

  it('reports nothing for a NOTIFY answered 200 (only refusals end a subscription, RFC 6665 §4.2.2)', async () => {
    await w.bus.request(edgeSend, 'edge-test', notify('NOTIFY', 'r0'));
    const n = (await c.next((m) => m.type === 'request' && m.method === 'NOTIFY')) as SipRequest;
    c.send(serialize(createResponse(n, 200)));
    await new Promise((r) => setTimeout(r, 200));
    expect(outcomes).toEqual([]);
  });

  it('sends a BENOTIFY without a transaction: no outcome follows', async () => {
    expect(await w.bus.request(edgeSend, 'edge-test', notify('BENOTIFY', 'r2'))).toEqual({ sent: true });
    const n = (await c.next((m) => m.type === 'request' && m.method === 'BENOTIFY')) as SipRequest;
    expect(getHeader(n, 'CSeq')).toBe('2 BENOTIFY');
    await new Promise((r) => setTimeout(r, 200));
    expect(outcomes).toEqual([]);
  });

  it('reports connection-lost for a NOTIFY whose connection closes before it is answered', async () => {
    await w.bus.request(edgeSend, 'edge-test', notify('NOTIFY', 'r3'));
    await c.next((m) => m.type === 'request' && m.method === 'NOTIFY');
    c.close();
    await expect.poll(() => outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({ ref: 'r3', failure: 'connection-lost' });
  });

  it('answers sent: false for a connection it does not hold', async () => {
    expect(await w.bus.request(edgeSend, 'edge-test', { ...notify('NOTIFY', 'r4'), connectionId: 'tcp-nope' })).toEqual({ sent: false, reason: 'connection-gone' });
  });
});
