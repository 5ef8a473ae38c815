import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminHeaders, startWorld, TEST_ADMIN_TOKEN, type World } from './support/world.js';

const seed = JSON.stringify({ user: 'sip:alice@contoso.com', groups: [], contacts: [{ uri: 'sip:attacker@evil.example' }] });

describe('admin API: a bearer token, compared in constant time; health and metrics stay open', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld({ mode: 'embedded' });
  });
  afterAll(async () => {
    await w.stop();
  });
  const url = (path: string) => `http://127.0.0.1:${w.proc.httpPort}${path}`;

  it('refuses admin calls without the token, or with a wrong one, with 401 and a Bearer challenge', async () => {
    for (const authorization of [undefined, 'Bearer wrong-token-wrong-token', `Basic ${TEST_ADMIN_TOKEN}`, `Bearer ${TEST_ADMIN_TOKEN}x`, 'Bearer ']) {
      const res = await fetch(url('/admin/users/contacts'), {
        method: 'PUT',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: seed,
      });
      expect(res.status, String(authorization)).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="presence-admin"');
    }
    const move = await fetch(url('/admin/users/move'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'sip:alice@contoso.com', pool: w.pool }) });
    expect(move.status).toBe(401);
  });

  it('takes the right token, and answers 400 (not 500) for a user URI with a bad %-escape', async () => {
    const ok = await fetch(url('/admin/users/contacts'), { method: 'PUT', headers: adminHeaders, body: JSON.stringify({ user: 'sip:alice@contoso.com', groups: [], contacts: [] }) });
    expect(ok.status).toBe(200);
    const bad = await fetch(url('/admin/users/contacts'), { method: 'PUT', headers: adminHeaders, body: JSON.stringify({ user: 'sip:%E0%A4%A@contoso.com', groups: [], contacts: [] }) });
    expect(bad.status).toBe(400);
    const badMove = await fetch(url('/admin/users/move'), { method: 'POST', headers: adminHeaders, body: JSON.stringify({ user: 'sip:%E0%A4%A@contoso.com', pool: w.pool }) });
    expect(badMove.status).toBe(400);
  });

  it('keeps /healthz, /readyz and /metrics open', async () => {
    expect((await fetch(url('/healthz'))).status).toBe(200);
    expect((await fetch(url('/readyz'))).status).toBe(200);
    expect((await fetch(url('/metrics'))).status).not.toBe(401);
  });
});

describe('admin API without a token configured, and on its own listener', () => {
  it('disables the admin routes when no token is configured (404 even with a token)', async () => {
    const w = await startWorld({ mode: 'embedded', env: { ADMIN_TOKEN: '' } });
    try {
      const res = await fetch(`http://127.0.0.1:${w.proc.httpPort}/admin/users/contacts`, { method: 'PUT', headers: adminHeaders, body: seed });
      expect(res.status).toBe(404);
    } finally {
      await w.stop();
    }
  });

  it('serves the admin routes only on ADMIN_HTTP_PORT when set, with the token read from ADMIN_TOKEN_FILE', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'admin-')), 'token');
    writeFileSync(file, `${TEST_ADMIN_TOKEN}\n`);
    const w = await startWorld({ mode: 'embedded', env: { ADMIN_TOKEN: '', ADMIN_TOKEN_FILE: file, ADMIN_HTTP_PORT: '0' } });
    try {
      expect(w.proc.adminHttpPort).not.toBe(w.proc.httpPort);
      const body = JSON.stringify({ user: 'sip:alice@contoso.com', groups: [], contacts: [] });
      expect((await fetch(`http://127.0.0.1:${w.proc.httpPort}/admin/users/contacts`, { method: 'PUT', headers: adminHeaders, body })).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${w.proc.adminHttpPort}/admin/users/contacts`, { method: 'PUT', headers: adminHeaders, body })).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${w.proc.httpPort}/healthz`)).status).toBe(200);
    } finally {
      await w.stop();
    }
  });

  it('refuses to start with a token shorter than 16 characters, naming the variable', async () => {
    await expect(startWorld({ mode: 'embedded', env: { ADMIN_TOKEN: 'short' } })).rejects.toThrow(/ADMIN_TOKEN.*16 characters/);
  });
});
