import { describe, expect, it } from 'vitest';
import { createAdminServer, createLogger } from '../src/index.js';

const quiet = createLogger({ level: 'silent', base: {} });

describe('/readyz/self: readiness of the process without its dependencies (issue 16 item 6)', () => {
  it('is 503 while starting, 200 once started even with every dependency down, 503 again while draining', async () => {
    const admin = createAdminServer({ logger: quiet, checks: [{ name: 'redis', check: () => Promise.reject(new Error('connection refused')) }] });
    expect((await admin.app.inject('/readyz/self')).statusCode).toBe(503);
    expect((await admin.app.inject('/readyz/self')).json()).toEqual({ status: 'starting' });
    admin.setStarted();
    const started = await admin.app.inject('/readyz/self');
    expect(started.statusCode).toBe(200);
    expect(started.json()).toEqual({ status: 'ready' });
    // The full check still names the dependency that is down.
    expect((await admin.app.inject('/readyz')).statusCode).toBe(503);
    admin.setDraining();
    expect((await admin.app.inject('/readyz/self')).json()).toEqual({ status: 'draining' });
    expect((await admin.app.inject('/readyz/self')).statusCode).toBe(503);
  });
});
