import { MemoryBus, MemoryNetwork, pingCommands, presenceChanged, RemoteHandlerError, sipRequestCommands, type SipRequestCommand } from '@presence/bus';
import { MemoryStore } from '@presence/state';
import { describe, expect, it } from 'vitest';
import { guardBus, guardStore, Limiter, OverloadedError } from '../src/request-guard.js';

const cmd = (budgetMs?: number): SipRequestCommand => ({
  method: 'SERVICE',
  uri: 'sip:alice@contoso.com',
  headers: [],
  body: '',
  user: 'sip:alice@contoso.com',
  edgeId: 'e1',
  connectionId: 'c1',
  transport: 'tcp',
  ...(budgetMs !== undefined ? { budgetMs } : {}),
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Limiter', () => {
  it('runs at most `concurrent` at once, queues up to `queued`, refuses the rest at once', async () => {
    const l = new Limiter('svc', 2, 1);
    let running = 0;
    let peak = 0;
    const task = async () => {
      running++;
      peak = Math.max(peak, running);
      await sleep(30);
      running--;
      return 'done';
    };
    const results = await Promise.allSettled([l.run(task), l.run(task), l.run(task), l.run(task)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected']);
    expect((results[3] as PromiseRejectedResult).reason).toBeInstanceOf(OverloadedError);
    expect(peak).toBe(2);
    expect(l.inFlight).toBe(0);
  });
});

/** A raw in-process bus, the guarded bus a service sees over it, and a guarded store. */
const setup = (concurrent = 1, queued = 0) => {
  const raw = new MemoryBus(new MemoryNetwork({ ackWaitMs: 1000 }), { requestTimeoutMs: 2000 });
  const store = guardStore(new MemoryStore());
  return { raw, bus: guardBus(raw, { concurrent, queued }), store };
};
const p = { pool: 'p1', user: 'sip:alice@contoso.com' };

describe('guardBus and guardStore', () => {
  const put = { op: 'put' as const, collection: 'x', id: '1', value: 1 };

  it('a handler writing after its request budget ran out is refused; nothing is stored', async () => {
    const { raw, bus, store } = setup();
    await bus.handle(sipRequestCommands.publication, 'p1', async () => {
      await sleep(150);
      await store.apply(p, [put]);
      return { status: 200 };
    });
    const err = await raw.request(sipRequestCommands.publication, 'p1', cmd(50)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteHandlerError);
    expect((err as RemoteHandlerError).remoteCode).toBe('RUNTIME_ERR_DEADLINE');
    expect(await store.get(p, 'x', '1')).toBeUndefined();
    // In time, the same write goes through.
    expect(await raw.request(sipRequestCommands.publication, 'p1', cmd(1000))).toEqual({ status: 200 });
    expect((await store.get(p, 'x', '1'))?.value).toBe(1);
    await raw.close();
  });

  it('refuses SIP requests over the service limit with RUNTIME_ERR_OVERLOADED; other commands are not limited', async () => {
    const { raw, bus } = setup(1, 0);
    await bus.handle(sipRequestCommands.publication, 'p1', async () => {
      await sleep(100);
      return { status: 200 };
    });
    await bus.handle(pingCommands.publication, 'p1', () => ({ service: 'publication', instance: 'i', pool: 'p1' }));
    const [a, b] = await Promise.allSettled([raw.request(sipRequestCommands.publication, 'p1', cmd()), raw.request(sipRequestCommands.publication, 'p1', cmd())]);
    expect(a.status).toBe('fulfilled');
    expect(((b as PromiseRejectedResult).reason as RemoteHandlerError).remoteCode).toBe('RUNTIME_ERR_OVERLOADED');
    expect((await raw.request(pingCommands.publication, 'p1', {})).service).toBe('publication');
    await raw.close();
  });

  it('writes outside a SIP request (sweepers, events) have no deadline', async () => {
    const { store } = setup();
    await sleep(10);
    expect((await store.apply(p, [put])).ok).toBe(true);
  });
});

describe('the commit point', () => {
  it('a request that wrote before its deadline finishes its writes after it (all of its state or none)', async () => {
    const { raw, bus, store } = setup();
    await bus.handle(sipRequestCommands.publication, 'p1', async () => {
      await store.apply(p, [{ op: 'put', collection: 'x', id: 'first', value: 1 }]);
      await sleep(150);
      await store.apply(p, [{ op: 'put', collection: 'x', id: 'second', value: 2 }]);
      return { status: 200 };
    });
    expect(await raw.request(sipRequestCommands.publication, 'p1', cmd(50))).toEqual({ status: 200 });
    expect((await store.list(p, 'x')).map((r) => r.id).sort()).toEqual(['first', 'second']);
    await raw.close();
  });
});

describe('events published by a SIP request', () => {
  it('are consumed outside its deadline (their writes are their own)', async () => {
    const { raw, bus, store } = setup(4, 4);
    const done: string[] = [];
    await bus.consume(presenceChanged, 'p1', 'subscription', async () => {
      await sleep(150);
      await store.apply(p, [{ op: 'put', collection: 'x', id: 'by-event', value: 1 }]);
      done.push('written');
    });
    await bus.handle(sipRequestCommands.publication, 'p1', async () => {
      await bus.publish(presenceChanged, 'p1', { user: p.user, at: new Date().toISOString() } as never, { msgId: 'm1' });
      return { status: 200 };
    });
    expect(await raw.request(sipRequestCommands.publication, 'p1', cmd(50))).toEqual({ status: 200 });
    await expect.poll(() => done).toEqual(['written']);
    await raw.close();
  });
});
