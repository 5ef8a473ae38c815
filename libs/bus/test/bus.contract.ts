import { context, trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { startTelemetry, type Telemetry } from '@presence/telemetry';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  BusTimeoutError,
  defineCommand,
  defineEvent,
  InvalidSubjectTokenError,
  NoRespondersError,
  RemoteHandlerError,
  UndeclaredConsumerError,
  type Bus,
} from '../src/index.js';

/** One test's world: a fresh pool id and a way to make several bus instances (separate "processes"). */
export interface BusWorld {
  pool: string;
  /** How payloads travel: as JSON (NATS, and the in-process bus when asked), or as the values themselves. */
  wire?: 'json' | 'reference';
  newBus(): Promise<Bus>;
  cleanup(): Promise<void>;
}

/** The delivery settings every world uses, so timing-based cases are the same for both buses. */
export const CONTRACT_ACK_WAIT_MS = 1000;

const echo = defineCommand<{ text: string; at?: Date }, { text: string; at?: string; by: string }>('svc-a', 'echo');
const slow = defineCommand<{ ms: number }, { done: true }>('svc-a', 'slow');
const failing = defineCommand<Record<string, never>, never>('svc-a', 'fail');
const nobody = defineCommand<Record<string, never>, never>('svc-z', 'nothing');
const evt = defineEvent<{ n: number }>('test-event', ['svc-a', 'svc-b']);

class CodedError extends Error {
  readonly code = 'PRES_ERR_TEST';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually(cond: () => boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await sleep(20);
  }
}

/** The behaviour both bus implementations must show. */
export function busContract(name: string, makeWorld: () => Promise<BusWorld>): void {
  describe(`Bus contract: ${name}`, () => {
    let world: BusWorld;
    let exporter: InMemorySpanExporter;
    let telemetry: Telemetry;

    beforeAll(() => {
      exporter = new InMemorySpanExporter();
      telemetry = startTelemetry({ serviceName: 'bus-test', serviceInstanceId: 't1', spanExporter: exporter });
    });
    afterAll(async () => {
      await telemetry.shutdown();
    });
    beforeEach(async () => {
      world = await makeWorld();
      exporter.reset();
    });
    afterEach(async () => {
      await world.cleanup();
    });

    describe('commands (request/reply)', () => {
      it('delivers the payload and returns the reply, both as JSON (or as they are, in-process by reference)', async () => {
        const a = await world.newBus();
        const b = await world.newBus();
        await b.handle(echo, world.pool, (p) => ({ text: p.text.toUpperCase(), at: p.at as unknown as string, by: 'b' }));
        const r = await a.request(echo, world.pool, { text: 'héllo', at: new Date(0) });
        const at = world.wire === 'reference' ? new Date(0) : '1970-01-01T00:00:00.000Z';
        expect(r).toEqual({ text: 'HÉLLO', at, by: 'b' });
      });

      it('fails fast with NoRespondersError when no instance listens', async () => {
        const a = await world.newBus();
        const t0 = Date.now();
        await expect(a.request(nobody, world.pool, {}, { timeoutMs: 3000 })).rejects.toBeInstanceOf(NoRespondersError);
        expect(Date.now() - t0).toBeLessThan(1000);
      });

      it('fails with BusTimeoutError when the handler does not answer in time', async () => {
        const a = await world.newBus();
        await a.handle(slow, world.pool, async (p) => {
          await sleep(p.ms);
          return { done: true as const };
        });
        await expect(a.request(slow, world.pool, { ms: 600 }, { timeoutMs: 100 })).rejects.toBeInstanceOf(BusTimeoutError);
      });

      it("returns a handler's failure as RemoteHandlerError carrying the error's code", async () => {
        const a = await world.newBus();
        await a.handle(failing, world.pool, () => {
          throw new CodedError('version mismatch');
        });
        const err = await a.request(failing, world.pool, {}).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(RemoteHandlerError);
        expect((err as RemoteHandlerError).remoteCode).toBe('PRES_ERR_TEST');
        expect((err as Error).message).toContain('version mismatch');
      });

      it('shares requests between the instances of a queue group, each request served once', async () => {
        const client = await world.newBus();
        const served: Record<string, string[]> = { one: [], two: [] };
        for (const who of ['one', 'two'] as const) {
          const bus = await world.newBus();
          await bus.handle(echo, world.pool, (p) => {
            served[who]!.push(p.text);
            return { text: p.text, by: who };
          });
        }
        const n = 60;
        const replies = await Promise.all(Array.from({ length: n }, (_, i) => client.request(echo, world.pool, { text: `m${i}` })));
        expect(replies.map((r) => r.text).sort()).toEqual(Array.from({ length: n }, (_, i) => `m${i}`).sort());
        expect(served.one!.length).toBeGreaterThan(0);
        expect(served.two!.length).toBeGreaterThan(0);
        expect(served.one!.length + served.two!.length).toBe(n);
        expect(new Set([...served.one!, ...served.two!]).size).toBe(n);
      });

      it('carries W3C trace context in headers: the handler continues the caller’s trace', async () => {
        const a = await world.newBus();
        const b = await world.newBus();
        let seen: { traceId: string } | undefined;
        await b.handle(echo, world.pool, (p) => {
          seen = trace.getSpan(context.active())?.spanContext();
          return { text: p.text, by: 'b' };
        });
        const tracer = trace.getTracer('test');
        const callerTraceId = await tracer.startActiveSpan('caller', async (span) => {
          await a.request(echo, world.pool, { text: 'x' });
          span.end();
          return span.spanContext().traceId;
        });
        expect(seen?.traceId).toBe(callerTraceId);
        const ours = () => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === callerTraceId);
        // Both spans end around the reply, in either order: wait for the two.
        await eventually(() => ours().some((s) => s.name === 'handle svc-a.echo') && ours().some((s) => s.name === 'send svc-a.echo'));
        const spans = ours();
        const client = spans.find((s) => s.name === 'send svc-a.echo')!;
        const server = spans.find((s) => s.name === 'handle svc-a.echo')!;
        expect(server.parentSpanContext?.spanId).toBe(client.spanContext().spanId);
      });

      it('refuses SIP URIs, dots and wildcards as subject tokens', async () => {
        const a = await world.newBus();
        for (const bad of ['sip:alice@contoso.com', 'pool.1', '*', '>', '']) {
          await expect(a.request(echo, bad, { text: 'x' })).rejects.toBeInstanceOf(InvalidSubjectTokenError);
        }
      });
    });

    describe('events (at least once, durable)', () => {
      it('delivers each event to every declared consumer service', async () => {
        const bus = await world.newBus();
        const got: Record<string, number[]> = { 'svc-a': [], 'svc-b': [] };
        for (const svc of ['svc-a', 'svc-b'] as const) {
          await bus.consume(evt, world.pool, svc, async (p) => void got[svc]!.push(p.n));
        }
        for (let n = 0; n < 5; n++) await bus.publish(evt, world.pool, { n }, { msgId: `m${n}` });
        await eventually(() => got['svc-a']!.length === 5 && got['svc-b']!.length === 5);
        expect(got['svc-a']!.sort()).toEqual([0, 1, 2, 3, 4]);
        expect(got['svc-b']!.sort()).toEqual([0, 1, 2, 3, 4]);
      });

      it('shares events between instances of one service, none delivered twice', async () => {
        const publisher = await world.newBus();
        const got: Record<string, number[]> = { one: [], two: [] };
        for (const who of ['one', 'two'] as const) {
          const bus = await world.newBus();
          await bus.consume(evt, world.pool, 'svc-a', async (p) => {
            got[who]!.push(p.n);
            await sleep(5);
          });
        }
        const n = 80;
        for (let i = 0; i < n; i++) await publisher.publish(evt, world.pool, { n: i }, { msgId: `s${i}` });
        await eventually(() => got.one!.length + got.two!.length >= n);
        await sleep(200);
        const all = [...got.one!, ...got.two!];
        expect(all.length).toBe(n);
        expect(new Set(all).size).toBe(n);
        expect(got.one!.length).toBeGreaterThan(0);
        expect(got.two!.length).toBeGreaterThan(0);
      });

      it('keeps an event published while no consumer runs and delivers it when one starts', async () => {
        const publisher = await world.newBus();
        await publisher.publish(evt, world.pool, { n: 42 }, { msgId: 'offline-1' });
        await sleep(100);
        const later = await world.newBus();
        const got: number[] = [];
        await later.consume(evt, world.pool, 'svc-b', async (p) => void got.push(p.n));
        await eventually(() => got.length === 1);
        expect(got).toEqual([42]);
      });

      it('drops a second publish with the same message id (de-duplication)', async () => {
        const bus = await world.newBus();
        const got: number[] = [];
        await bus.consume(evt, world.pool, 'svc-a', async (p) => void got.push(p.n));
        await bus.publish(evt, world.pool, { n: 1 }, { msgId: 'dup' });
        await bus.publish(evt, world.pool, { n: 1 }, { msgId: 'dup' });
        await bus.publish(evt, world.pool, { n: 2 }, { msgId: 'other' });
        await eventually(() => got.length >= 2);
        await sleep(300);
        expect(got.sort()).toEqual([1, 2]);
      });

      it('redelivers an event whose handler failed, with a higher delivery count', async () => {
        const bus = await world.newBus();
        const deliveries: number[] = [];
        await bus.consume(evt, world.pool, 'svc-a', async (_p, d) => {
          deliveries.push(d.deliveryCount);
          if (d.deliveryCount === 1) throw new Error('transient');
        });
        await bus.publish(evt, world.pool, { n: 7 }, { msgId: 'retry-1' });
        await eventually(() => deliveries.length === 2);
        expect(deliveries).toEqual([1, 2]);
      });

      it('gives an event held by a hung instance to another one after the ack wait', async () => {
        const publisher = await world.newBus();
        const hung = await world.newBus();
        const got: { who: string; count: number }[] = [];
        await hung.consume(evt, world.pool, 'svc-a', async (_p, d) => {
          got.push({ who: 'hung', count: d.deliveryCount });
          await new Promise(() => undefined); // never acknowledges, as if the process froze
        });
        await publisher.publish(evt, world.pool, { n: 9 }, { msgId: 'hang-1' });
        await eventually(() => got.length === 1);
        const healthy = await world.newBus();
        await healthy.consume(evt, world.pool, 'svc-a', async (_p, d) => void got.push({ who: 'healthy', count: d.deliveryCount }));
        await eventually(() => got.some((g) => g.who === 'healthy'), CONTRACT_ACK_WAIT_MS * 8);
        expect(got.find((g) => g.who === 'healthy')!.count).toBeGreaterThanOrEqual(2);
      });

      it('refuses a consumer the event does not declare', async () => {
        const bus = await world.newBus();
        await expect(bus.consume(evt, world.pool, 'svc-c', async () => undefined)).rejects.toBeInstanceOf(UndeclaredConsumerError);
      });
    });
  });
}
