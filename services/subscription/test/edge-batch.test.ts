import { edgeSendBatch, MemoryBus, MemoryNetwork, type EdgeSendBatchRequest } from '@presence/bus';
import type { Pools } from '@presence/runtime';
import { MemoryStore, type DialogRecord } from '@presence/state';
import { createLogger } from '@presence/telemetry';
import { describe, expect, it } from 'vitest';
import { handNotifications, type Notification } from '../src/edge-batch.js';

const dialog = (i: number, edgeId: string): DialogRecord => ({
  callId: `c${i}`,
  localTag: 't',
  remoteTag: 'r',
  event: 'presence',
  subscriber: `sip:w${i}@contoso.com`,
  epid: 'e',
  edgeId,
  connectionId: `tcp-${i}`,
  remoteTarget: `sip:w${i}@127.0.0.1`,
  routeSet: [],
  localCseq: 0,
  benotify: true,
});

describe('handNotifications', () => {
  it('sends one message per edge with each body once, split so that no message gets too large', async () => {
    const bus = new MemoryBus(new MemoryNetwork());
    const got: Record<string, EdgeSendBatchRequest[]> = { e1: [], e2: [] };
    for (const edge of ['e1', 'e2']) await bus.handle(edgeSendBatch, edge, (req) => (got[edge]!.push(req), { sent: req.items.map(() => true) }));
    const list: Notification[] = Array.from({ length: 450 }, (_, i) => ({
      partition: { pool: 'p1', user: `sip:w${i}@contoso.com` },
      dialogId: `c${i};t`,
      dialog: dialog(i, i < 420 ? 'e1' : 'e2'),
      expiresAt: undefined,
      cseq: 7,
      body: i % 2 === 0 ? '<even/>' : '<odd/>',
      contentType: 'application/msrtc-event-categories+xml',
    }));
    const d = { store: new MemoryStore(), bus, logger: createLogger({ level: 'silent', base: {} }), pools: {} as Pools };
    expect(await handNotifications(d, list)).toBe(450);
    expect(got.e1!.map((m) => m.items.length)).toEqual([200, 200, 20]);
    expect(got.e2!.map((m) => m.items.length)).toEqual([30]);
    for (const m of [...got.e1!, ...got.e2!]) expect([...m.bodies].sort()).toEqual(['<even/>', '<odd/>']);
    // In the order given, with the CSeq each dialog committed and the one before it.
    const first = got.e1![0]!.items[0]!;
    expect(first).toMatchObject({ connectionId: 'tcp-0', method: 'BENOTIFY', prevCseq: 6, ref: JSON.stringify(['sip:w0@contoso.com', 'c0;t', 7]) });
    expect(first.headers).toContainEqual({ name: 'CSeq', value: '7 BENOTIFY' });
    expect(got.e1![0]!.bodies[first.body]).toBe('<even/>');
    await bus.close();
  });
});
