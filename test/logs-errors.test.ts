import { Writable } from 'node:stream';
import { sipRequestCommands } from '@presence/bus';
import { getHeader } from '@presence/sip';
import { createLogger, startTelemetry } from '@presence/telemetry';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { startEdgeWorld, type EdgeWorld } from '../services/sip-edge/test/support/edge-world.js';
import { LyncClient } from './support/lync-client.js';

const BOB = 'sip:bob@contoso.com';
const PUBLISH = 'application/msrtc-category-publish+xml';

describe('error lines of a request that fails unexpectedly (issue 16 item 3)', () => {
  const stops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const s of stops.splice(0).reverse()) await s();
  });

  it('a 500 is one error line with the user, the Call-ID and the trace ids of its SIP span, and one warn line with the status', async () => {
    const exporter = new InMemorySpanExporter();
    const telemetry = startTelemetry({ serviceName: 'logs-errors', serviceInstanceId: 't', spanExporter: exporter });
    stops.push(() => telemetry.shutdown());
    const lines: Record<string, unknown>[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _e, done) {
        for (const l of chunk.toString('utf8').split('\n')) if (l !== '') lines.push(JSON.parse(l) as Record<string, unknown>);
        done();
      },
    });
    const logger = createLogger({ level: 'info', base: { service: 'sip-edge' }, destination });
    const w: EdgeWorld = await startEdgeWorld({ PRESENCE_AUTH: 'none' }, { logger });
    stops.push(() => w.stop());
    // The publication service fails with an error that names no unavailable dependency: 500, not 503.
    const failing = await w.bus.handle(sipRequestCommands.publication, 'pool1', () => {
      throw new Error('boom in the publication handler');
    });
    stops.push(() => failing.stop());
    const bob = await LyncClient.connect(w.edge.ports.tcp, BOB);
    stops.push(async () => bob.close());
    await bob.register();
    const res = await bob.service(PUBLISH, '<publish/>');
    expect(res.status).toBe(500);
    const callId = getHeader(res, 'Call-ID');

    const errors = lines.filter((l) => l.level === 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ msg: 'request failed', method: 'SERVICE', callId, user: BOB, traceId: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(JSON.stringify(errors[0]!.err)).toContain('boom in the publication handler');
    const warns = lines.filter((l) => l.level === 40 && l.callId === callId);
    expect(warns).toHaveLength(1);
    expect(warns[0]).toMatchObject({ status: 500, user: BOB, traceId: errors[0]!.traceId });
    // The trace id is the SIP server span's, and that span says 500.
    // (Read before shutdown: the in-memory exporter forgets its spans when shut down.)
    await expect.poll(() => exporter.getFinishedSpans().some((s) => s.name === 'SIP SERVICE'), { timeout: 3000 }).toBe(true);
    const span = exporter.getFinishedSpans().find((s) => s.name === 'SIP SERVICE');
    expect(span?.spanContext().traceId).toBe(errors[0]!.traceId);
    expect(span?.attributes['sip.status_code']).toBe(500);
    expect(span?.status.code).toBe(2); // SpanStatusCode.ERROR
  }, 30_000);
});
