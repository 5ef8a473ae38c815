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

  /** The client's answer to `n` with its top Via rewritten by `via` (responses are matched by the top Via's branch, RFC 3261 §17.1.3). */
  const answer = (n: SipRequest, status: number, via: (v: string) => string) => {
    const res = createResponse(n, status);
    return serialize({ ...res, headers: res.headers.map((h) => (h.name.toLowerCase() === 'via' ? { ...h, value: via(h.value) } : h)) });
  };

  it('matches a response whose Via spells the branch unusually (parameter name case, spaces) by the full parser', async () => {
    await w.bus.request(edgeSend, 'edge-test', notify('NOTIFY', 'r5'));
    const n = (await c.next((m) => m.type === 'request' && m.method === 'NOTIFY')) as SipRequest;
    c.send(answer(n, 481, (v) => v.replace(';branch=', ' ; BRANCH = ')));
    await expect.poll(() => outcomes).toHaveLength(1);
    expect(outcomes[0]).toEqual({ ref: 'r5', edgeId: 'edge-test', connectionId, callId: 'dialog-1', status: 481 });
  });

  it('ignores a response whose top Via has another branch, even one of this edge’s form', async () => {
    await w.bus.request(edgeSend, 'edge-test', notify('NOTIFY', 'r6'));
    const n = (await c.next((m) => m.type === 'request' && m.method === 'NOTIFY')) as SipRequest;
    // The same branch one counter step on (not sent yet), a longer one, and ours only in a lower Via.
    c.send(answer(n, 481, (v) => v.replace(/([0-9a-f])$/, (d) => ((parseInt(d, 16) + 1) % 16).toString(16))));
    c.send(answer(n, 481, (v) => `${v}0`));
    c.send(answer(n, 481, (v) => `SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bKother, ${v}`));
    await new Promise((r) => setTimeout(r, 300));
    expect(outcomes).toEqual([]);
    c.send(answer(n, 481, (v) => v));
    await expect.poll(() => outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({ ref: 'r6', status: 481 });
  });

  it('answers sent: false for a connection it does not hold', async () => {
    expect(await w.bus.request(edgeSend, 'edge-test', { ...notify('NOTIFY', 'r4'), connectionId: 'tcp-nope' })).toEqual({ sent: false, reason: 'connection-gone' });
  });
});
