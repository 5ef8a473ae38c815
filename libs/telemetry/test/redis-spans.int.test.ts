import { context, SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { startSipClientSpan, startSipServerSpan, startTelemetry, traceRedis, tracingEnabled, type Telemetry } from '../src/index.js';

interface Scripted extends Redis {
  echoKey(numKeys: number, key: string): Promise<string>;
}

/** A client as the Redis store makes it (auto-pipelining on), with spans added. */
function client(): Scripted {
  const r = new Redis(inject('redisUrl'), { enableAutoPipelining: true, maxRetriesPerRequest: 1 }) as Scripted;
  r.defineCommand('echoKey', { lua: 'return KEYS[1]' });
  return traceRedis(r);
}

const until = async (f: () => boolean, ms = 3000): Promise<void> => {
  for (const end = Date.now() + ms; !f(); ) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('Redis spans (traceRedis over a real Redis)', () => {
  let t: Telemetry | undefined;
  let r: Scripted | undefined;
  afterEach(async () => {
    r?.disconnect();
    r = undefined;
    await t?.shutdown();
    t = undefined;
  });

  it('one span per command, child of the operation that asked for it even when ioredis pipelines them together; an explicit pipeline is one span; a script one EVALSHA', async () => {
    const exporter = new InMemorySpanExporter();
    t = startTelemetry({ serviceName: 'redis-spans-test', serviceInstanceId: 't1', spanExporter: exporter });
    r = client();
    const key = `tel:test:${process.pid}`;
    await r.set(key, 'v');
    const tracer = trace.getTracer('test');
    const op = (name: string) =>
      tracer.startActiveSpan(name, async (s) => {
        await r!.get(key);
        s.end();
        return s.spanContext().spanId;
      });
    // Both GETs leave in one auto-pipeline (same turn of the event loop).
    const [a, b] = await Promise.all([op('a'), op('b')]);
    const piped = await tracer.startActiveSpan('c', async (s) => {
      await r!.pipeline().get(key).get(key).del(key).exec();
      s.end();
      return s.spanContext().spanId;
    });
    const scripted = await tracer.startActiveSpan('d', async (s) => {
      expect(await r!.echoKey(1, key)).toBe(key);
      s.end();
      return s.spanContext().spanId;
    });
    const spans = (): ReadableSpan[] => exporter.getFinishedSpans();
    await until(() => spans().filter((s) => s.name === 'd').length === 1 && spans().some((s) => s.parentSpanContext?.spanId === scripted));

    const under = (id: string) => spans().filter((s) => s.parentSpanContext?.spanId === id);
    expect(under(a).map((s) => s.name)).toEqual(['redis GET']);
    expect(under(b).map((s) => s.name)).toEqual(['redis GET']);
    expect(under(piped).map((s) => s.name)).toEqual(['redis PIPELINE']);
    expect(under(piped)[0]!.attributes['db.operation.batch.size']).toBe(3);
    // The pipeline's own commands are inside its span, not spans of their own.
    expect(spans().filter((s) => s.name === 'redis DEL')).toEqual([]);
    expect(under(scripted).map((s) => s.name)).toEqual(['redis EVALSHA']);
    for (const s of spans().filter((x) => x.name.startsWith('redis '))) {
      expect(s.kind).toBe(SpanKind.CLIENT);
      expect(s.attributes).toMatchObject({ 'db.system.name': 'redis', 'server.address': expect.any(String), 'server.port': expect.any(Number) });
      expect(JSON.stringify(s.attributes)).not.toContain(key);
    }
  });

  it('without a tracer provider nothing is made: no spans, no SIP span objects, no active span', async () => {
    expect(tracingEnabled()).toBe(false);
    expect(startSipServerSpan('REGISTER', { transport: 'tcp' })).toBeUndefined();
    expect(startSipClientSpan('NOTIFY', { transport: 'tcp', user: () => { throw new Error('must not be called'); } })).toBeUndefined();
    r = client();
    await r.set(`tel:test:${process.pid}:2`, 'v');
    await r.pipeline().del(`tel:test:${process.pid}:2`).exec();
    expect(trace.getSpan(context.active())).toBeUndefined();
    // A provider registered later (telemetry started after the client) is picked up per command.
    const exporter = new InMemorySpanExporter();
    t = startTelemetry({ serviceName: 'redis-spans-test', serviceInstanceId: 't2', spanExporter: exporter });
    expect(tracingEnabled()).toBe(true);
    await r.get(`tel:test:${process.pid}:2`);
    await until(() => exporter.getFinishedSpans().some((s) => s.name === 'redis GET'));
  });
});
