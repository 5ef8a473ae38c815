import { sipRequestCommands, type SipRequestCommand } from '@presence/bus';
import { getHeader, getHeaders, serialize } from '@presence/sip';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildRequest, TestClient } from '../../../test/support/sip-client.js';
import { startEdgeWorld, type EdgeWorld } from './support/edge-world.js';

const PUBLISH_TYPE = { name: 'Content-Type', value: 'application/msrtc-category-publish+xml' };

describe('edge request handling (auth off: PRESENCE_AUTH=none)', () => {
  let w: EdgeWorld;
  let c: TestClient;
  beforeEach(async () => {
    w = await startEdgeWorld({ PRESENCE_AUTH: 'none', SIP_MAX_BODY_BYTES: '4096' });
    c = await TestClient.tcp(w.edge.ports.tcp);
  });
  afterEach(async () => {
    c.close();
    await w.stop();
  });

  it('answers OPTIONS with Allow, Accept, Allow-Events and one Supported per option tag', async () => {
    const res = await c.request(buildRequest(c, { method: 'OPTIONS' }));
    expect(res.status).toBe(200);
    expect(getHeader(res, 'Allow')).toBe('REGISTER,OPTIONS,SUBSCRIBE,SERVICE,PUBLISH,MESSAGE,ACK,CANCEL');
    expect(getHeader(res, 'Allow-Events')).toBe('presence,vnd-microsoft-roaming-self,vnd-microsoft-roaming-contacts,vnd-microsoft-provisioning-v2,presence.winfo');
    expect(res.headers.filter((h) => h.name === 'Supported').map((h) => h.value)).toContain('msrtc-event-categories');
  });

  it.each([
    ['INVITE', 405],
    ['NOTIFY', 405],
    ['NEGOTIATE', 501],
    ['FOO', 501],
    ['CANCEL', 481],
  ])('answers %s with %i', async (method, status) => {
    const res = await c.request(buildRequest(c, { method }));
    expect(res.status).toBe(status);
    if (status === 405) expect(getHeader(res, 'Allow')).toBe('REGISTER,OPTIONS,SUBSCRIBE,SERVICE,PUBLISH,MESSAGE,ACK,CANCEL');
  });

  it('answers 483 when Max-Forwards is 0', async () => {
    const req = buildRequest(c, { method: 'SERVICE', headers: [PUBLISH_TYPE] });
    const res = await c.request({ ...req, headers: req.headers.map((h) => (h.name === 'Max-Forwards' ? { name: 'Max-Forwards', value: '0' } : h)) });
    expect(res.status).toBe(483);
  });

  it('answers 400 to a request missing a mandatory header, and keeps serving', async () => {
    const req = buildRequest(c, { method: 'OPTIONS', callId: 'no-cseq-here' });
    c.send(serialize({ ...req, headers: req.headers.filter((h) => h.name !== 'To') }));
    const res = await c.next((m) => m.type === 'response' && getHeader(m, 'Call-ID') === 'no-cseq-here');
    expect(res).toMatchObject({ status: 400, reason: 'Bad Request (missing To header)' });
    expect((await c.request(buildRequest(c, { method: 'OPTIONS' }))).status).toBe(200);
  });

  it('answers 413 to an oversized body on TCP and keeps the connection in step', async () => {
    const res = await c.request(buildRequest(c, { method: 'SERVICE', headers: [PUBLISH_TYPE], body: 'x'.repeat(10_000) }));
    expect(res.status).toBe(413);
    expect((await c.request(buildRequest(c, { method: 'OPTIONS' }))).status).toBe(200);
  });

  it('answers 413 to an oversized body on UDP', async () => {
    const u = await TestClient.udp(w.edge.ports.udp);
    try {
      expect((await u.request(buildRequest(u, { method: 'SERVICE', headers: [PUBLISH_TYPE], body: 'x'.repeat(10_000) }))).status).toBe(413);
    } finally {
      u.close();
    }
  });

  it('routes SERVICE to the publication service over the bus and returns its answer as the response', async () => {
    const seen: SipRequestCommand[] = [];
    await w.bus.handle(sipRequestCommands.publication, 'pool1', (cmd) => {
      seen.push(cmd);
      return { status: 200, headers: [{ name: 'Content-Type', value: 'application/vnd-microsoft-roaming-self+xml' }], body: '<roamingData/>' };
    });
    const res = await c.request(buildRequest(c, { method: 'SERVICE', headers: [PUBLISH_TYPE], body: '<publish/>' }));
    expect(res.status).toBe(200);
    expect(getHeader(res, 'Content-Type')).toBe('application/vnd-microsoft-roaming-self+xml');
    expect(res.body.toString()).toBe('<roamingData/>');
    expect(seen[0]).toMatchObject({ method: 'SERVICE', user: 'sip:alice@contoso.com', epid: 'a1b2c3d4e5', edgeId: 'edge-test', transport: 'tcp', body: '<publish/>' });
    expect(seen[0]!.connectionId).toMatch(/^tcp-/);
  });

  it('routes enhanced-presence SUBSCRIBE to subscription and PIDF SUBSCRIBE to federation', async () => {
    const got: string[] = [];
    await w.bus.handle(sipRequestCommands.subscription, 'pool1', () => (got.push('subscription'), { status: 200 }));
    await w.bus.handle(sipRequestCommands.federation, 'pool1', () => (got.push('federation'), { status: 200 }));
    const sub = (accept: string) =>
      buildRequest(c, { method: 'SUBSCRIBE', uri: 'sip:bob@contoso.com', to: 'sip:bob@contoso.com', headers: [{ name: 'Event', value: 'presence' }, { name: 'Accept', value: accept }] });
    await c.request(sub('application/msrtc-event-categories+xml, application/rlmi+xml'));
    await c.request(sub('application/pidf+xml'));
    await c.request(buildRequest(c, { method: 'SUBSCRIBE', headers: [{ name: 'Event', value: 'vnd-microsoft-roaming-self' }] }));
    expect(got).toEqual(['subscription', 'federation', 'subscription']);
  });

  it('answers 503 with Retry-After at once when no service instance is listening', async () => {
    const t0 = Date.now();
    const res = await c.request(buildRequest(c, { method: 'SERVICE', headers: [PUBLISH_TYPE] }));
    expect(res.status).toBe(503);
    expect(getHeader(res, 'Retry-After')).toBe('5');
    expect(Date.now() - t0).toBeLessThan(500);
  });

  it('answers 503 with Retry-After when the service does not answer in time, never hangs', async () => {
    await w.bus.handle(sipRequestCommands.publication, 'pool1', () => new Promise(() => undefined));
    const res = await c.request(buildRequest(c, { method: 'SERVICE', headers: [PUBLISH_TYPE] }), 4000);
    expect(res.status).toBe(503);
    expect(getHeader(res, 'Retry-After')).toBe('5');
  });

  it('answers 415 to a SERVICE body type no service takes, and 489 with Allow-Events to an unknown event', async () => {
    expect((await c.request(buildRequest(c, { method: 'SERVICE', headers: [{ name: 'Content-Type', value: 'text/plain' }] }))).status).toBe(415);
    const res = await c.request(buildRequest(c, { method: 'SUBSCRIBE', headers: [{ name: 'Event', value: 'dialog' }] }));
    expect(res.status).toBe(489);
    expect(getHeaders(res, 'Allow-Events')).toEqual(['presence', 'vnd-microsoft-roaming-self', 'vnd-microsoft-roaming-contacts', 'vnd-microsoft-provisioning-v2', 'presence.winfo']);
  });

  it('records where a request came from in its Via (received, rport)', async () => {
    await w.bus.handle(sipRequestCommands.publication, 'pool1', () => ({ status: 200 }));
    const req = buildRequest(c, { method: 'SERVICE', headers: [PUBLISH_TYPE] });
    const res = await c.request({ ...req, headers: req.headers.map((h) => (h.name === 'Via' ? { name: 'Via', value: h.value.replace('127.0.0.1', 'client.invalid') + ';rport' } : h)) });
    expect(getHeader(res, 'Via')).toMatch(new RegExp(`^SIP/2\\.0/TCP client\\.invalid:\\d+;branch=z9hG4bK[0-9a-f]+;rport=${c.local.port};received=127\\.0\\.0\\.1$`));
  });
});
