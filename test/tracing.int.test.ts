import { getHeader } from '@presence/sip';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { LyncClient } from './support/lync-client.js';
import { OtlpReceiver, SPAN_KIND, type ReceivedSpan } from './support/otlp-receiver.js';
import { startWorld, type World } from './support/world.js';

const BOB = 'sip:bob@contoso.com';
const ALICE = 'sip:alice@contoso.com';
const PUBLISH = 'application/msrtc-category-publish+xml';
const note = (text: string, version = 0) =>
  `<publish xmlns="http://schemas.microsoft.com/2006/09/sip/rich-presence"><publications uri="${BOB}"><publication categoryName="note" instance="0" container="0" version="${version}" expireType="static"><note xmlns="http://schemas.microsoft.com/2006/09/sip/note"><body type="personal" uri="">${text}</body></note></publication></publications></publish>`;

/** The OTel variables an operator sets; the world's process reads them from its environment. */
const otelEnv = (receiver: OtlpReceiver): Record<string, string> => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
  OTEL_SERVICE_NAME: 'presence-traced',
  OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=trace-test,team=ops%20one',
  OTEL_METRIC_EXPORT_INTERVAL: '300',
});

/**
 * Signs Bob and Alice in, makes Alice watch Bob, then Bob publishes a note (the client publish
 * whose trace is examined) and Alice gets the NOTIFY. /readyz is probed meanwhile. The world is
 * stopped before reading: shutdown flushes every span and a last metrics export.
 */
async function publishOnce(w: World): Promise<{ callId: string }> {
  const bob = await LyncClient.connect(w.ports.tcp, BOB);
  const alice = await LyncClient.connect(w.ports.tcp, ALICE);
  try {
    await bob.register();
    await alice.register();
    expect((await alice.categorySubscribe([{ uri: BOB }], { benotify: false })).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await fetch(`http://127.0.0.1:${w.proc.httpPort}/readyz`)).status).toBe(200);
    const res = await bob.service(PUBLISH, note('Tracing'));
    expect(res.status).toBe(200);
    await alice.nextNotify(10_000, (n) => n.body.toString().includes('Tracing'));
    // The NOTIFY's client span ends on Alice's 200, which the client has just sent.
    await new Promise((r) => setTimeout(r, 300));
    return { callId: getHeader(res, 'Call-ID')! };
  } finally {
    bob.close();
    alice.close();
  }
}

/** The one trace whose root is the SIP server span of the request with `callId`. */
function traceOfRequest(receiver: OtlpReceiver, method: string, callId: string): { root: ReceivedSpan; below: ReceivedSpan[] } {
  const roots = receiver.spans.filter((s) => s.name === `SIP ${method}` && s.kind === SPAN_KIND.server && s.attributes['sip.call_id'] === callId);
  expect(roots, `one SIP ${method} server span for Call-ID ${callId}`).toHaveLength(1);
  const root = roots[0]!;
  // The root: nothing is extracted from SIP, so the edge's span has no parent.
  expect(root.parentSpanId).toBeUndefined();
  const all = receiver.trace(root.traceId);
  const below = receiver.descendants(root);
  // Every span of the trace hangs under the SIP span: no second root in the same trace.
  expect(below.length).toBe(all.length - 1);
  return { root, below };
}

describe('traces over OTLP (issue 16 item 2)', () => {
  let w: World | undefined;
  let receiver: OtlpReceiver | undefined;
  afterEach(async () => {
    await w?.stop();
    w = undefined;
    await receiver?.close();
    receiver = undefined;
  });

  it('clustered: one trace per client publish, rooted at the SIP server span with SIP attributes, with the NATS bus and Redis spans and the NOTIFY under it; OTEL_* honoured; metrics over OTLP', async () => {
    receiver = await OtlpReceiver.start();
    w = await startWorld({ mode: 'clustered', natsUrl: inject('natsUrl'), redisUrl: inject('redisUrl'), env: otelEnv(receiver) });
    const { callId } = await publishOnce(w);
    await w.stop();
    w = undefined;

    expect(receiver.rejected).toBe(0);
    const { root, below } = traceOfRequest(receiver, 'SERVICE', callId);
    expect(root.attributes).toMatchObject({
      'sip.method': 'SERVICE',
      'sip.status_code': 200,
      'sip.call_id': callId,
      'enduser.id': BOB,
      'network.transport': 'tcp',
      'sip.transport': 'tcp',
    });
    // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (percent-decoded) on the resource.
    expect(root.resource).toMatchObject({ 'service.name': 'presence-traced', 'deployment.environment': 'trace-test', team: 'ops one' });

    // The bus: the edge's CLIENT span is the SIP span's child; the publication service continues it.
    const send = below.find((s) => s.name === 'send publication.sip-request');
    expect(send, below.map((s) => s.name).join(', ')).toBeDefined();
    expect(send!.parentSpanId).toBe(root.spanId);
    expect(send!.kind).toBe(SPAN_KIND.client);
    expect(send!.attributes['messaging.system']).toBe('nats');
    const handle = below.find((s) => s.name === 'handle publication.sip-request');
    expect(handle?.parentSpanId).toBe(send!.spanId);
    expect(handle?.kind).toBe(SPAN_KIND.server);

    // Redis: CLIENT spans inside the handling, Lua script as one command; no keys recorded.
    const redis = below.filter((s) => s.attributes['db.system.name'] === 'redis');
    expect(redis.length).toBeGreaterThan(0);
    expect(redis.every((s) => s.kind === SPAN_KIND.client && s.name.startsWith('redis '))).toBe(true);
    expect(redis.some((s) => s.name === 'redis EVALSHA' || s.name === 'redis EVAL')).toBe(true);
    expect(JSON.stringify(redis)).not.toContain('contoso.com');

    // The change event and the fan-out to Alice: JetStream PRODUCER/CONSUMER, then the edge's NOTIFY to her client.
    expect(below.some((s) => s.kind === SPAN_KIND.producer && s.name.startsWith('publish '))).toBe(true);
    expect(below.some((s) => s.kind === SPAN_KIND.consumer && s.name.startsWith('process '))).toBe(true);
    const notify = below.find((s) => s.name === 'SIP NOTIFY' && s.kind === SPAN_KIND.client);
    expect(notify, below.map((s) => s.name).join(', ')).toBeDefined();
    expect(notify!.attributes).toMatchObject({ 'sip.method': 'NOTIFY', 'sip.status_code': 200, 'enduser.id': ALICE, 'network.transport': 'tcp' });

    // Readiness probes are not traffic: no ping spans anywhere.
    expect(receiver.spans.filter((s) => s.name.includes('.ping'))).toEqual([]);
    // REGISTER has its own root span, answered 200.
    expect(receiver.spans.filter((s) => s.name === 'SIP REGISTER' && s.parentSpanId === undefined && s.attributes['sip.status_code'] === 200).length).toBe(2);

    // Metrics pushed over OTLP too, with the same resource.
    const pushed = receiver.metrics.filter((m) => m.resource['service.name'] === 'presence-traced');
    const names = new Set(pushed.map((m) => m.name));
    for (const n of ['sip.server.requests', 'sip.server.request.duration.seconds', 'presence.registrations', 'bus_requests', 'v8js.memory.heap.used.bytes']) {
      expect(names.has(n), `${n} in ${[...names].join(', ')}`).toBe(true);
    }
  }, 60_000);

  it('embedded: the in-process bus claims no messaging system; the trace still runs from the SIP span to the NOTIFY', async () => {
    receiver = await OtlpReceiver.start();
    w = await startWorld({ mode: 'embedded', env: otelEnv(receiver) });
    const { callId } = await publishOnce(w);
    await w.stop();
    w = undefined;

    const { root, below } = traceOfRequest(receiver, 'SERVICE', callId);
    expect(root.attributes['sip.status_code']).toBe(200);
    const bus = below.filter((s) => s.name.startsWith('send ') || s.name.startsWith('handle ') || s.name.startsWith('publish ') || s.name.startsWith('process '));
    expect(bus.length).toBeGreaterThanOrEqual(4);
    for (const s of bus) {
      expect(s.attributes['messaging.system'], s.name).toBeUndefined();
      expect(s.attributes['messaging.destination.name'], s.name).toEqual(expect.any(String));
    }
    expect(below.some((s) => s.name === 'SIP NOTIFY')).toBe(true);
    expect(receiver.spans.filter((s) => s.name.includes('.ping'))).toEqual([]);
  }, 60_000);
});
