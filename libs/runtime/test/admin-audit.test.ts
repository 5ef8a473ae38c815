import { MemoryBus, MemoryNetwork } from '@presence/bus';
import { MemoryStore } from '@presence/state';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { bearerMatches } from '../src/admin-auth.js';
import { registerAdminRoutes } from '../src/admin-routes.js';
import { loadPools } from '../src/pools.js';
import { loadProcessConfig } from '../src/process-config.js';
import { StoreEpoch } from '../src/store-epoch.js';
import { recordingLogger } from '../../../test/support/recording-logger.js';

const TOKEN = 'a-token-of-twenty-characters';

describe('admin audit log', () => {
  it('writes one line per admin call, refused or not, with method, url, source, target user and status', async () => {
    const { logger, lines } = recordingLogger();
    const app = Fastify();
    const bus = new MemoryBus(new MemoryNetwork({ ackWaitMs: 1000 }), { requestTimeoutMs: 200 });
    registerAdminRoutes(app, loadPools(loadProcessConfig({}), undefined), () => bus, TOKEN, logger);
    const body = { user: 'sip:alice@contoso.com', pool: 'nowhere' };
    expect((await app.inject({ method: 'POST', url: '/admin/users/move', payload: body })).statusCode).toBe(401);
    expect((await app.inject({ method: 'POST', url: '/admin/users/move', payload: body, headers: { authorization: `Bearer ${TOKEN}` } })).statusCode).toBe(400);
    await app.close();
    await bus.close();
    const audit = lines.filter((l) => l.audit === true).map(({ method, url, source, target, status }) => ({ method, url, source, target, status }));
    expect(audit).toEqual([
      { method: 'POST', url: '/admin/users/move', source: '127.0.0.1', target: undefined, status: 401 },
      { method: 'POST', url: '/admin/users/move', source: '127.0.0.1', target: 'sip:alice@contoso.com', status: 400 },
    ]);
  });

  it('logs that the admin routes are disabled without a token', () => {
    const { logger, lines } = recordingLogger();
    registerAdminRoutes(Fastify(), loadPools(loadProcessConfig({}), undefined), () => undefined as never, undefined, logger);
    expect(lines.map((l) => l.msg)).toEqual(['admin routes disabled: set ADMIN_TOKEN or ADMIN_TOKEN_FILE to enable /admin/users/*']);
  });

  it('bearerMatches takes exactly `Bearer <token>`', () => {
    expect(bearerMatches(`Bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(bearerMatches(`bearer ${TOKEN}`, TOKEN)).toBe(true);
    for (const h of [undefined, '', TOKEN, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(1)}`, `Basic ${TOKEN}`, `Bearer ${TOKEN} extra`]) expect(bearerMatches(h, TOKEN), String(h)).toBe(false);
  });
});

describe('StoreEpoch', () => {
  it('finds a loss once when the epoch record disappears, and nothing while the store keeps it', async () => {
    const { logger, lines } = recordingLogger();
    const store = new MemoryStore();
    let lost = 0;
    const e = new StoreEpoch(store, logger, () => lost++);
    await e.start(60_000);
    expect(await e.check()).toBe(false);
    // Another process sharing the store adopts the same epoch.
    const other = new StoreEpoch(store, logger, () => lost++);
    await other.start(60_000);
    expect(await other.check()).toBe(false);
    // The data goes (a Redis restarted empty).
    await store.apply({ pool: '_epoch', user: 'store' }, [{ op: 'delete', collection: 'epoch', id: 'current' }]);
    expect(await e.check()).toBe(true);
    expect(await e.check()).toBe(false);
    // The other process finds the epoch replaced by the first: a loss for it too, once.
    expect(await other.check()).toBe(true);
    expect(await other.check()).toBe(false);
    expect(lost).toBe(2);
    expect(lines.filter((l) => String(l.msg).startsWith('STORE DATA LOST')).length).toBe(2);
    e.stop();
    other.stop();
  });

  it('decides nothing while the store does not answer', async () => {
    const { logger } = recordingLogger();
    const store = new MemoryStore();
    let lost = 0;
    const e = new StoreEpoch(store, logger, () => lost++);
    await e.start(60_000);
    const get = store.get.bind(store);
    store.get = async () => {
      throw new Error('redis down');
    };
    expect(await e.check()).toBe(false);
    store.get = get;
    expect(await e.check()).toBe(false);
    expect(lost).toBe(0);
    e.stop();
  });
});
