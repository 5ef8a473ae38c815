import { listRecords, registrations } from '@presence/state';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LyncClient } from './support/lync-client.js';
import { startWorld, type World } from './support/world.js';
import { http, signIn, SseReader, webOf, type Http } from './web-support.js';

const ALICE = 'sip:alice@contoso.com';

/** A web session is an endpoint: when the SIP registrar ends it, the session's live stream ends too. */
describe('web session whose endpoint the SIP registrar ends (endpoint-gone)', () => {
  let w: World;
  let h: Http;
  let base: string;
  const lyncs: LyncClient[] = [];
  const endpoints = async () => (await listRecords(w.store, { pool: w.pool, user: ALICE }, registrations)).map((r) => r.value.transport).sort();

  beforeEach(async () => {
    w = await startWorld({ mode: 'embedded', env: { REGISTER_MAX_ENDPOINTS: '1' } });
    base = `http://127.0.0.1:${w.proc.httpPort}`;
    h = http(base);
  });
  afterEach(async () => {
    for (const c of lyncs.splice(0)) c.close();
    await w.stop();
  });

  it('replaced by a new SIP endpoint (REGISTER_MAX_ENDPOINTS): the stream ends and the session is signed out (401)', async () => {
    const t = await signIn(h, 'alice@contoso.com');
    const sse = await SseReader.open(`${base}/api/v1/stream`, { authorization: `Bearer ${t.accessToken}` });
    await sse.next((e) => e.event === 'snapshot');
    expect(await endpoints()).toEqual(['web']);
    const lync = await LyncClient.connect(w.ports.tcp, ALICE, 'a1');
    lyncs.push(lync);
    const t0 = Date.now();
    expect((await lync.register()).status).toBe(200);
    await expect.poll(() => sse.ended, { timeout: 5000, interval: 5 }).toBe(true);
    console.log(`[web-endpoint-gone] replaced web session's stream ended ${Date.now() - t0} ms after the REGISTER was sent`);
    expect(await endpoints()).toEqual(['tcp']);
    const r = await h('GET', '/api/v1/me/contacts', { token: t.accessToken });
    expect(r.status).toBe(401);
    expect(r.body.code).toBe('WEB_ERR_UNAUTHORIZED');
    // The stream does not come back to replace the SIP client in turn.
    expect((await SseReader.open(`${base}/api/v1/stream`, { authorization: `Bearer ${t.accessToken}` })).status).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await endpoints()).toEqual(['tcp']);
  }, 30_000);

  it('signed out because the user left the directory: the stream ends, the API answers 403 and the session stays ended when they come back', async () => {
    const t = await signIn(h, 'alice@contoso.com');
    const sse = await SseReader.open(`${base}/api/v1/stream`, { authorization: `Bearer ${t.accessToken}` });
    await sse.next((e) => e.event === 'snapshot');
    const dir = webOf(w).api.d.directory!;
    const entry = dir.get(ALICE)!;
    dir.set(ALICE, undefined);
    await expect.poll(() => sse.ended, { timeout: 5000 }).toBe(true);
    expect(await endpoints()).toEqual([]);
    expect((await h('GET', '/api/v1/me/contacts', { token: t.accessToken })).status).toBe(403);
    dir.set(ALICE, entry);
    const again = await h('GET', '/api/v1/me/contacts', { token: t.accessToken });
    expect(again.status).toBe(401);
    expect(await endpoints()).toEqual([]);
  }, 30_000);
});
