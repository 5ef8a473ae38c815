import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from './support/infra.js';
import { httpStatus, repoRoot, startNode, waitForStatus, type Proc } from './support/process.js';

const MAIN = 'services/embedded/dist/main.js';

describe('embedded mode (npm start)', () => {
  let proc: Proc | undefined;
  afterEach(async () => {
    await proc?.stop('SIGKILL');
  });

  it('serves /healthz and /readyz 200 within 10 s with no Redis or NATS, and exits cleanly on SIGTERM within 5 s', async () => {
    const port = await freePort();
    // Point the clustered settings at nothing: embedded mode must not touch them.
    proc = startNode(MAIN, { HTTP_PORT: String(port), NATS_URL: 'nats://127.0.0.1:1', REDIS_URL: 'redis://127.0.0.1:1' });
    await waitForStatus(`http://127.0.0.1:${port}/healthz`, 200, 10_000);
    await waitForStatus(`http://127.0.0.1:${port}/readyz`, 200, 10_000);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.json());
    expect(ready).toEqual({ status: 'ready', checks: { store: 'up', services: 'up' } });
    const { code, ms } = await proc.stop('SIGTERM');
    expect(code).toBe(0);
    expect(ms).toBeLessThan(5000);
  });

  it('runs as the README says: `npm start` is ready within 10 s and SIGTERM to npm stops the server within 5 s', async () => {
    const port = await freePort();
    const npm = spawn('npm', ['start'], {
      cwd: repoRoot,
      env: { ...process.env, HTTP_PORT: String(port), SIP_PORT: '0', SIP_TLS_PORT: '0', XMPP_PORT: '0', LOG_LEVEL: 'warn' },
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => npm.once('exit', resolve));
    try {
      const readyMs = await waitForStatus(`http://127.0.0.1:${port}/readyz`, 200, 10_000);
      expect(readyMs).toBeLessThan(10_000);
      const t0 = Date.now();
      npm.kill('SIGTERM');
      await exited;
      await waitForStatus(`http://127.0.0.1:${port}/healthz`, 0, 5000);
      expect(Date.now() - t0).toBeLessThan(5000);
    } finally {
      npm.kill('SIGKILL');
    }
    expect(await httpStatus(`http://127.0.0.1:${port}/healthz`)).toBe(0);
  });

  it('exits on SIGINT (Ctrl-C) the same way', async () => {
    const port = await freePort();
    proc = startNode(MAIN, { HTTP_PORT: String(port) });
    await waitForStatus(`http://127.0.0.1:${port}/readyz`, 200, 10_000);
    const { code, ms } = await proc.stop('SIGINT');
    expect(code).toBe(0);
    expect(ms).toBeLessThan(5000);
  });

  it('serves Prometheus metrics, without counting its readiness checks as bus traffic', async () => {
    const port = await freePort();
    proc = startNode(MAIN, { HTTP_PORT: String(port) });
    await waitForStatus(`http://127.0.0.1:${port}/readyz`, 200, 10_000);
    const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
    expect(text).toMatch(/^target_info\{/m);
    expect(text).toMatch(/^process_cpu_time_seconds_total/m);
    // /readyz pings every service over the bus: operators must not see that as traffic (issue 16).
    expect(text).not.toMatch(/command="[a-z-]+\.ping"/);
  });

  it('refuses a bad environment value with one line naming the variable', async () => {
    proc = startNode(MAIN, { HTTP_PORT: 'abc' });
    const code = await proc.exited;
    expect(code).toBe(2);
    expect(proc.output().trim()).toBe('Invalid environment variable HTTP_PORT="abc": expected a TCP/UDP port number (0-65535)');
  });
});
