import { Writable } from 'node:stream';
import { metrics } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminServer, createLogger, startTelemetry, type Telemetry } from '../src/index.js';

const quiet = createLogger({ level: 'silent', base: {} });

describe('admin HTTP server', () => {
  let telemetry: Telemetry;
  beforeAll(() => {
    telemetry = startTelemetry({ serviceName: 'admin-test', serviceInstanceId: 'i1' });
  });
  afterAll(async () => {
    await telemetry.shutdown();
  });

  it('/healthz answers 200 whatever the dependencies say', async () => {
    const { app } = createAdminServer({ logger: quiet, checks: [{ name: 'redis', check: () => Promise.reject(new Error('down')) }] });
    const r = await app.inject('/healthz');
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ status: 'ok' });
  });

  it('/readyz answers 200 when every check passes', async () => {
    const { app } = createAdminServer({
      logger: quiet,
      checks: [
        { name: 'nats', check: async () => undefined },
        { name: 'redis', check: async () => undefined },
      ],
    });
    const r = await app.inject('/readyz');
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ status: 'ready', checks: { nats: 'up', redis: 'up' } });
  });

  it('/readyz answers 503 naming a failing or hanging check', async () => {
    const { app } = createAdminServer({
      logger: quiet,
      checkTimeoutMs: 50,
      checks: [
        { name: 'nats', check: async () => undefined },
        { name: 'redis', check: () => Promise.reject(new Error('ECONNREFUSED')) },
        { name: 'slow', check: () => new Promise(() => undefined) },
      ],
    });
    const r = await app.inject('/readyz');
    expect(r.statusCode).toBe(503);
    expect(r.json()).toEqual({
      status: 'not ready',
      checks: { nats: 'up', redis: 'down: ECONNREFUSED', slow: 'down: no answer within 50 ms' },
    });
  });

  it('/readyz answers 503 while draining', async () => {
    const admin = createAdminServer({ logger: quiet, checks: [] });
    expect((await admin.app.inject('/readyz')).statusCode).toBe(200);
    admin.setDraining();
    expect((await admin.app.inject('/readyz')).statusCode).toBe(503);
  });

  it('/metrics serves the OpenTelemetry metrics as Prometheus text', async () => {
    metrics.getMeter('test').createCounter('sip_messages_received').add(3, { method: 'SUBSCRIBE' });
    const { app } = createAdminServer({ logger: quiet, checks: [], prometheus: telemetry.prometheus });
    const r = await app.inject('/metrics');
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toContain('text/plain');
    expect(r.body).toMatch(/^sip_messages_received_total\{method="SUBSCRIBE",otel_scope_name="test"\} 3$/m);
  });
});

describe('logger', () => {
  function capture(): { lines: () => Record<string, unknown>[]; stream: Writable } {
    const chunks: string[] = [];
    const stream = new Writable({
      write(c, _e, cb) {
        chunks.push(String(c));
        cb();
      },
    });
    return { stream, lines: () => chunks.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>) };
  }

  it('writes JSON lines with the base fields and redacts credentials', () => {
    const out = capture();
    const log = createLogger({ level: 'info', base: { service: 'sip-edge' }, destination: out.stream });
    log.info({ headers: { authorization: 'Digest response="secret"' }, password: 'pw', callId: 'abc' }, 'request');
    const [line] = out.lines();
    expect(line).toMatchObject({ level: 30, service: 'sip-edge', msg: 'request', callId: 'abc', password: '[redacted]' });
    expect(JSON.stringify(line)).not.toContain('secret');
  });
});
