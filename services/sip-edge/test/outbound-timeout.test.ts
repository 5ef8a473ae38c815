import { MemoryBus, MemoryNetwork, notifyOutcome, type NotifyOutcome } from '@presence/bus';
import type { Timers } from '@presence/sip';
import { createLogger } from '@presence/telemetry';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Flow } from '../src/flows.js';
import { Outbound } from '../src/outbound.js';

describe('NOTIFY over UDP that is never answered', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] }));
  afterEach(() => vi.useRealTimers());

  it('is retransmitted (Timer E) and reported as timeout after Timer F = 32 s (RFC 3261 §17.1.2.2)', async () => {
    const bus = new MemoryBus(new MemoryNetwork());
    const outcomes: NotifyOutcome[] = [];
    await bus.consume(notifyOutcome, 'pool1', 'subscription', async (o) => void outcomes.push(o));
    const sent: Buffer[] = [];
    const flow: Flow = {
      id: 'udp-1',
      transport: 'udp',
      reliable: false,
      remote: { address: '127.0.0.1', port: 5070 },
      local: { address: '127.0.0.1', port: 5060 },
      send: (b) => void sent.push(b),
      close: () => undefined,
    };
    const timers: Timers = { set: (fn, ms) => setTimeout(fn, ms), clear: (h) => clearTimeout(h as NodeJS.Timeout) };
    const out = new Outbound({ bus, edgeId: 'e1', logger: createLogger({ level: 'silent', base: {} }), flows: new Map([[flow.id, flow]]), timers });
    out.send({ pool: 'pool1', connectionId: 'udp-1', method: 'NOTIFY', uri: 'sip:a@contoso.com', ref: 'x', headers: [{ name: 'Call-ID', value: 'c1' }, { name: 'CSeq', value: '1 NOTIFY' }], body: '' });
    await vi.advanceTimersByTimeAsync(31_999);
    expect(outcomes).toEqual([]);
    expect(sent.length).toBeGreaterThan(5);
    await vi.advanceTimersByTimeAsync(1);
    vi.useRealTimers();
    await expect.poll(() => outcomes).toEqual([{ ref: 'x', edgeId: 'e1', connectionId: 'udp-1', callId: 'c1', failure: 'timeout' }]);
    await bus.close();
  });
});
