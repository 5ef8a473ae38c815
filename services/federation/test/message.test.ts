import type { Bus, PageMessage } from '@presence/bus';
import type { Pools } from '@presence/runtime';
import { MemoryStore, put, registrations } from '@presence/state';
import { createLogger } from '@presence/telemetry';
import { describe, expect, it } from 'vitest';
import { handleMessage, type MessageDeps } from '../src/message.js';

/** A bus that records deliveries and answers them as `answer` says (a throw: the edge did not answer). */
function recordingBus(answer: (edgeId: string) => { delivered: boolean }): { bus: Bus; sent: { edgeId: string; epid: string }[] } {
  const sent: { edgeId: string; epid: string }[] = [];
  const bus = {
    request: async (_def: unknown, edgeId: string, payload: { epid: string }) => {
      sent.push({ edgeId, epid: payload.epid });
      return answer(edgeId);
    },
  } as unknown as Bus;
  return { bus, sent };
}

const deps = (bus: Bus, store = new MemoryStore()): MessageDeps => ({
  store,
  bus,
  logger: createLogger({ level: 'silent' } as never),
  pools: { home: async () => 'p1' } as unknown as Pools,
  domains: ['contoso.com'],
});

const msg = (o: Partial<PageMessage> = {}): PageMessage => ({ from: 'sip:alice@contoso.com', to: 'sip:bob@contoso.com', contentType: 'text/plain', body: 'hi', ...o });

async function withBob(store: MemoryStore, endpoints: { epid: string; edgeId: string }[]): Promise<void> {
  for (const e of endpoints) {
    await store.apply({ pool: 'p1', user: 'sip:bob@contoso.com' }, [
      put(registrations, { epid: e.epid, contact: `sip:bob@h;transport=tcp`, gruu: 'g', edgeId: e.edgeId, connectionId: `c-${e.epid}`, transport: 'tcp', supported: [], registeredAt: '2026-11-30T00:00:00Z' }),
    ]);
  }
}

describe('page-mode MESSAGE in the federation service (RFC 3428)', () => {
  it.each([
    [{ from: 42 }, 400],
    [{ body: undefined }, 400],
    [{ to: 'bob@contoso.com' }, 400],
    [{ from: 'sip:alice@contoso.com\r\nX: y' }, 400],
    [{ contentType: 'text/plain\r\nX-Injected: 1' }, 400],
    [{ contentType: '' }, 400],
    [{ body: 'x'.repeat(1_048_577) }, 413],
    [{ to: 'sip:bob@fabrikam.com' }, 404],
  ])('refuses a bad payload %j with %i and sends nothing', async (bad, status) => {
    const { bus, sent } = recordingBus(() => ({ delivered: true }));
    const r = await handleMessage(deps(bus), { ...msg(), ...(bad as object) } as PageMessage);
    expect(r).toMatchObject({ status, delivered: 0 });
    expect(sent).toEqual([]);
  });

  it('sends to every endpoint of the recipient in parallel; 200 when one took it, even if another edge is gone', async () => {
    const store = new MemoryStore();
    await withBob(store, [
      { epid: 'e1', edgeId: 'edge-a' },
      { epid: 'e2', edgeId: 'edge-gone' },
    ]);
    const { bus, sent } = recordingBus((edgeId) => {
      if (edgeId === 'edge-gone') throw new Error('no responders');
      return { delivered: true };
    });
    expect(await handleMessage(deps(bus, store), msg())).toEqual({ status: 200, reason: 'OK', delivered: 1 });
    expect(sent.map((s) => s.epid).sort()).toEqual(['e1', 'e2']);
  });

  it('answers 480 when no endpoint took it, and skips the sender’s own endpoint', async () => {
    const store = new MemoryStore();
    await withBob(store, [{ epid: 'e1', edgeId: 'edge-a' }]);
    const { bus, sent } = recordingBus(() => ({ delivered: false }));
    expect(await handleMessage(deps(bus, store), msg())).toMatchObject({ status: 480, delivered: 0 });
    const self = recordingBus(() => ({ delivered: true }));
    expect(await handleMessage(deps(self.bus, store), msg({ from: 'sip:bob@contoso.com', fromEpid: 'e1' }))).toMatchObject({ status: 480 });
    expect(self.sent).toEqual([]);
    expect(sent).toHaveLength(1);
  });
});
