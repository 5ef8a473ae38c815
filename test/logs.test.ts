import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { aggregation } from '@presence/aggregation';
import { federation } from '@presence/federation';
import { publication } from '@presence/publication';
import { startProcess, type RunningProcess } from '@presence/runtime';
import { sipEdge, type RunningEdge } from '@presence/sip-edge';
import { getHeader } from '@presence/sip';
import { subscription } from '@presence/subscription';
import { afterEach, describe, expect, it } from 'vitest';
import { LyncClient } from './support/lync-client.js';
import { OtlpReceiver } from './support/otlp-receiver.js';

const BOB = 'sip:bob@contoso.com';
type Line = Record<string, unknown> & { msg: string; level: number };
const WARN = 40;
const DEBUG = 20;

/** An embedded process whose JSON log lines are kept (raw and parsed) instead of written to stdout. */
async function start(env: Record<string, string>): Promise<{ proc: RunningProcess; port: number; raw: string[]; lines: Line[] }> {
  const raw: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n')) if (l !== '') raw.push(l);
      done();
    },
  });
  const pool = `l${randomUUID().slice(0, 8)}`;
  const proc = await startProcess({
    processName: 'presence-logs',
    mode: 'embedded',
    services: [publication, aggregation, subscription, federation, sipEdge],
    logDestination: destination,
    env: {
      HTTP_PORT: '0',
      HTTP_HOST: '127.0.0.1',
      SIP_PORT: '0',
      SIP_TLS_PORT: '0',
      SIP_HOST: '127.0.0.1',
      LOG_LEVEL: 'debug',
      POOL_ID: pool,
      INSTANCE_ID: `edge-${pool}`,
      PRESENCE_AUTH: 'none',
      ...env,
    },
  });
  const edge = proc.services.find((s) => 'ports' in s) as RunningEdge;
  return {
    proc,
    port: edge.ports.tcp,
    raw,
    get lines() {
      return raw.map((l) => JSON.parse(l) as Line);
    },
  };
}

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;

describe('log lines (issue 16 item 3)', () => {
  const stops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const s of stops.splice(0).reverse()) await s();
  });
  /** A process exporting to a receiver (so spans exist), and Bob connected to it. */
  const tracedWithBob = async () => {
    const receiver = await OtlpReceiver.start();
    stops.push(() => receiver.close());
    const p = await start({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });
    stops.push(() => p.proc.shutdown());
    const bob = await LyncClient.connect(p.port, BOB);
    stops.push(async () => bob.close());
    return { receiver, p, bob };
  };

  it('one debug line per SIP request and response, with method, status, Call-ID, user, transport, duration and the trace ids of the SIP span', async () => {
    const { receiver, p, bob } = await tracedWithBob();
    const res = await bob.register();
    const callId = getHeader(res, 'Call-ID')!;

    const mine = p.lines.filter((l) => l.callId === callId);
    const request = mine.filter((l) => l.msg === 'SIP request');
    const response = mine.filter((l) => l.msg === 'SIP response');
    expect(request).toHaveLength(1);
    expect(response).toHaveLength(1);
    expect(request[0]).toMatchObject({ level: DEBUG, method: 'REGISTER', user: BOB, transport: 'tcp', traceId: expect.stringMatching(HEX32), spanId: expect.stringMatching(HEX16) });
    expect(response[0]).toMatchObject({ level: DEBUG, method: 'REGISTER', status: 200, user: BOB, transport: 'tcp', durationMs: expect.any(Number) });
    // Both lines belong to the request's SIP server span, which is what the collector received.
    expect(response[0]!.traceId).toBe(request[0]!.traceId);
    expect(response[0]!.spanId).toBe(request[0]!.spanId);
    await p.proc.shutdown();
    const span = receiver.spans.find((s) => s.name === 'SIP REGISTER' && s.attributes['sip.call_id'] === callId);
    expect(span?.traceId).toBe(request[0]!.traceId);
    expect(span?.spanId).toBe(request[0]!.spanId);
  }, 30_000);

  it('a warn line for each refusal the server decides, with its reason, Call-ID, user and trace id; exactly one service key on every line', async () => {
    const { p, bob } = await tracedWithBob();
    await bob.register();
    // A content type no service takes: 415 from the edge's router.
    const refused = await bob.service('application/x-nonsense+xml', '<x/>');
    expect(refused.status).toBe(415);
    // A method a presence server does not serve: 405.
    const invite = await bob.request('INVITE');
    expect(invite.status).toBe(405);

    for (const [res, status] of [[refused, 415], [invite, 405]] as const) {
      const warns = p.lines.filter((l) => l.level === WARN && l.callId === getHeader(res, 'Call-ID'));
      expect(warns, `warn lines for ${status}`).toHaveLength(1);
      expect(warns[0]).toMatchObject({ status, reason: res.reason, user: BOB, transport: 'tcp', traceId: expect.stringMatching(HEX32) });
      expect(warns[0]!.msg).toBe(`SIP request refused: ${status} ${res.reason}`);
    }
    // No warn for what went well.
    expect(p.lines.filter((l) => l.level >= WARN && l.msg.startsWith('SIP request refused: 2'))).toEqual([]);

    // A JSON parser keeps the last of two equal keys: each line must have exactly one.
    expect(p.raw.length).toBeGreaterThan(5);
    for (const l of p.raw) expect(l.match(/"service":/g), l).toHaveLength(1);
    expect(new Set(p.lines.map((l) => l.service))).toEqual(new Set(['presence-logs']));
  }, 30_000);

  it('digest: no warn for the 401 challenge every sign-in starts with, a warn for refused credentials; no trace ids without an exporter', async () => {
    const p = await start({ PRESENCE_AUTH: 'digest' });
    stops.push(() => p.proc.shutdown());
    const bob = await LyncClient.connect(p.port, BOB);
    stops.push(async () => bob.close());
    const challenge = await bob.request('REGISTER');
    expect(challenge.status).toBe(401);
    const bad = await bob.request('REGISTER', {
      headers: [{ name: 'Authorization', value: 'Digest username="bob@contoso.com", realm="contoso.com", nonce="x", uri="sip:contoso.com", response="00", algorithm=SHA-256, qop=auth, nc=00000001, cnonce="c"' }],
    });
    expect([401, 403]).toContain(bad.status);

    const of = (res: typeof bad) => p.lines.filter((l) => l.callId === getHeader(res, 'Call-ID'));
    expect(of(challenge).filter((l) => l.msg === 'SIP response')).toHaveLength(1);
    expect(of(challenge).filter((l) => l.level >= WARN)).toEqual([]);
    const warns = of(bad).filter((l) => l.level === WARN && String(l.msg).startsWith('SIP request refused'));
    expect(warns).toHaveLength(1);
    expect(warns[0]).toMatchObject({ status: bad.status, reason: bad.reason, method: 'REGISTER', user: BOB });
    // Without an exporter no span exists: lines carry no ids.
    for (const l of p.lines) expect(l.traceId, l.msg).toBeUndefined();
  }, 30_000);
});
