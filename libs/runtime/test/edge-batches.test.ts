import { edgeSendBatch, MemoryBus, MemoryNetwork } from '@presence/bus';
import { createLogger } from '@presence/telemetry';
import { describe, expect, it } from 'vitest';
import { handToEdges, type EdgeBound } from '../src/edge-batches.js';

const req = (i: number, edgeId: string): EdgeBound => ({
  edgeId,
  pool: 'p1',
  connectionId: `tcp-${i}`,
  method: 'NOTIFY',
  uri: 'sip:w@127.0.0.1',
  headers: [],
  body: `<b${i % 3}/>`,
  ref: `r${i}`,
});

describe('handToEdges', () => {
  it('answers per request: handed over, connection gone (false), or edge gone (undefined)', async () => {
    const bus = new MemoryBus(new MemoryNetwork());
    await bus.handle(edgeSendBatch, 'e1', (m) => ({ sent: m.items.map((it) => it.connectionId !== 'tcp-1') }));
    const out = await handToEdges(bus, createLogger({ level: 'silent', base: {} }), [req(0, 'e1'), req(1, 'e1'), req(2, 'dead-edge'), req(3, 'e1')]);
    expect(out).toEqual([true, false, undefined, true]);
    await bus.close();
  });

  it('sends each distinct body once per message, in the order given', async () => {
    const bus = new MemoryBus(new MemoryNetwork());
    const got: { bodies: string[]; refs: string[] }[] = [];
    await bus.handle(edgeSendBatch, 'e1', (m) => (got.push({ bodies: m.bodies, refs: m.items.map((it) => it.ref) }), { sent: m.items.map(() => true) }));
    await handToEdges(bus, createLogger({ level: 'silent', base: {} }), Array.from({ length: 6 }, (_, i) => req(i, 'e1')));
    expect(got).toEqual([{ bodies: ['<b0/>', '<b1/>', '<b2/>'], refs: ['r0', 'r1', 'r2', 'r3', 'r4', 'r5'] }]);
    await bus.close();
  });
});
