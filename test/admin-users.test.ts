import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminHeaders, startWorld, type World } from './support/world.js';

/** `/admin/users` (issue 15): the managed store's API, its checks and what it never shows. */
describe('admin API for managed users', () => {
  let w: World;
  let fileWorld: World;
  const call = async (world: World, method: string, path: string, body?: unknown, headers: Record<string, string> = adminHeaders) => {
    const res = await fetch(`http://127.0.0.1:${world.proc.adminHttpPort}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    return { status: res.status, text, json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
  };
  beforeAll(async () => {
    [w, fileWorld] = await Promise.all([startWorld({ mode: 'embedded', env: { PRESENCE_DIRECTORY: 'store', PRESENCE_POOLS: 'p1,p2', POOL_ID: 'p1' } }), startWorld({ mode: 'embedded' })]);
  });
  afterAll(async () => Promise.all([w?.stop(), fileWorld?.stop()]));

  it('creates, pages in address order, changes and shows users without their HA1 values', async () => {
    for (const u of ['carol', 'alice', 'bob']) expect((await call(w, 'POST', '/admin/users', { uri: `sip:${u}@contoso.com`, password: `${u}-pw`, displayName: u })).status).toBe(201);
    const first = await call(w, 'GET', '/admin/users?offset=0&limit=2');
    expect(first.json).toMatchObject({ total: 3, offset: 0, limit: 2 });
    expect((first.json!.users as { aor: string }[]).map((u) => u.aor)).toEqual(['sip:alice@contoso.com', 'sip:bob@contoso.com']);
    expect(((await call(w, 'GET', '/admin/users?offset=2&limit=2')).json!.users as { aor: string }[]).map((u) => u.aor)).toEqual(['sip:carol@contoso.com']);
    const patched = await call(w, 'PATCH', `/admin/users/${encodeURIComponent('sip:bob@contoso.com')}`, { title: 'Lead', pool: 'p2' });
    expect(patched.json).toMatchObject({ aor: 'sip:bob@contoso.com', displayName: 'bob', title: 'Lead', pool: 'p2', disabled: false, hasPassword: true });
    const shown = await call(w, 'GET', `/admin/users/${encodeURIComponent('sips:bob@CONTOSO.com')}`);
    expect(shown.json).toMatchObject({ aor: 'sip:bob@contoso.com', title: 'Lead' });
    for (const r of [first, patched, shown]) expect(r.text).not.toMatch(/ha1|bob-pw/i);
  });

  it('refuses bad input with 400, a second create with 409, an unknown user with 404, no token with 401', async () => {
    expect((await call(w, 'POST', '/admin/users', { uri: 'alice', password: 'x' })).status).toBe(400);
    expect((await call(w, 'POST', '/admin/users', { uri: 'sip:dan@contoso.com', title: 5 })).json).toEqual({ error: 'title must be a string of at most 256 characters' });
    expect((await call(w, 'POST', '/admin/users', { uri: 'sip:dan@contoso.com', pool: 'nowhere' })).status).toBe(400);
    expect((await call(w, 'POST', '/admin/users', { uri: 'sip:dan@contoso.com', password: '' })).status).toBe(400);
    expect((await call(w, 'PUT', `/admin/users/${encodeURIComponent('sip:alice@contoso.com')}/password`, { password: 'y'.repeat(257) })).status).toBe(400);
    expect((await call(w, 'GET', '/admin/users?limit=1001')).status).toBe(400);
    expect((await call(w, 'POST', '/admin/users', { uri: 'sip:alice@contoso.com' })).status).toBe(409);
    expect((await call(w, 'POST', `/admin/users/${encodeURIComponent('sip:zed@contoso.com')}/disable`, {})).status).toBe(404);
    expect((await call(w, 'GET', '/admin/users', undefined, {})).status).toBe(401);
  });

  it('answers 409 where users are not managed here (users file)', async () => {
    const r = await call(fileWorld, 'GET', '/admin/users');
    expect(r.status).toBe(409);
    expect(r.json).toEqual({ error: 'users are managed in the file directory here; set PRESENCE_DIRECTORY=store to manage them through /admin/users' });
  });
});
