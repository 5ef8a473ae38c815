import { MeterProvider, MetricReader, type CollectionResult } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { TallyCounter } from '../src/index.js';

class Reader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

/** The points of `name` at one read, as `label=value,...` → value. */
async function points(reader: Reader, name: string): Promise<Map<string, number>> {
  const r: CollectionResult = await reader.collect();
  const metric = r.resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name);
  return new Map((metric?.dataPoints ?? []).map((p) => [Object.entries(p.attributes).map(([k, v]) => `${k}=${String(v)}`).join(','), p.value as number]));
}

describe('TallyCounter', () => {
  it('counts each series by its key and reports it, with its labels, as a monotonic sum when read', async () => {
    const reader = new Reader();
    const provider = new MeterProvider({ readers: [reader] });
    const c = new TallyCounter(provider.getMeter('t'), 'presence.notifications', { description: 'd' });
    let built = 0;
    const labels = (method: string) => () => (built++, { method, result: 'sent' });
    c.add('NOTIFY|sent', labels('NOTIFY'));
    c.add('NOTIFY|sent', labels('NOTIFY'));
    c.add('BENOTIFY|sent', labels('BENOTIFY'), 5);
    expect(built).toBe(2); // labels are built once per series, not per add
    expect(await points(reader, 'presence.notifications')).toEqual(new Map([['method=NOTIFY,result=sent', 2], ['method=BENOTIFY,result=sent', 5]]));
    c.add('NOTIFY|sent', labels('NOTIFY'));
    expect((await points(reader, 'presence.notifications')).get('method=NOTIFY,result=sent')).toBe(3); // cumulative
    const metric = (await reader.collect()).resourceMetrics.scopeMetrics[0]!.metrics[0]!;
    expect(metric.descriptor.type).toBe('OBSERVABLE_COUNTER');
    await provider.shutdown();
  });

  it('counts label sets past its bound in one overflow series', async () => {
    const reader = new Reader();
    const provider = new MeterProvider({ readers: [reader] });
    const c = new TallyCounter(provider.getMeter('t'), 'x', {}, 2);
    for (const s of ['200', '481', '500', '503', '500']) c.add(s, () => ({ status_code: s }));
    expect(await points(reader, 'x')).toEqual(new Map([['status_code=200', 1], ['status_code=481', 1], ['otel.metric.overflow=true', 3]]));
    await provider.shutdown();
  });
});
