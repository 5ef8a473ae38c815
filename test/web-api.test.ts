import SwaggerParser from '@apidevtools/swagger-parser';
import { parseNotifiedCategories } from '@presence/documents';
import { getHeader } from '@presence/sip';
import { registerWebRoutes } from '@presence/web';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { presenceView } from '../services/web/src/views.js';
import { LyncClient } from './support/lync-client.js';
import { startWorld, type World } from './support/world.js';
import { http, signIn, SseReader, webOf, type Http } from './web-support.js';

const ALICE = 'sip:alice@contoso.com';
const BOB = 'sip:bob@contoso.com';
const PUBLISH = 'application/msrtc-category-publish+xml';
const MEMBERS = 'application/msrtc-setcontainermembers+xml';
const STATE_NS = 'xmlns="http://schemas.microsoft.com/2006/09/sip/state" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';
const machineState = (container: number, version: number, availability: number) =>
  `<publication categoryName="state" instance="809938687" container="${container}" version="${version}" expireType="endpoint"><state ${STATE_NS} manual="false" xsi:type="machineState"><availability>${availability}</availability></state></publication>`;
const publish = (uri: string, pubs: string) => `<publish xmlns="http://schemas.microsoft.com/2006/09/sip/rich-presence"><publications uri="${uri}">${pubs}</publications></publish>`;
const members = (id: number, version: number, inner: string) =>
  `<setContainerMembers xmlns="http://schemas.microsoft.com/2006/09/sip/container-management"><container id="${id}" version="${version}">${inner}</container></setContainerMembers>`;

describe('web API (embedded, real HTTP)', () => {
  let w: World;
  let h: Http;
  let base: string;
  let bob: LyncClient;

  beforeEach(async () => {
    // SUBSCRIBE_MIN_EXPIRES as `npm start` has it (the test worlds lower it): the web's dialogs must fit it.
    w = await startWorld({ mode: 'embedded', env: { SUBSCRIBE_MIN_EXPIRES: '1200', WEB_USER_BURST: '100', WEB_USER_REQUESTS_PER_S: '2', WEB_SIGNIN_MAX_FAILURES: '3' } });
    base = `http://127.0.0.1:${w.proc.httpPort}`;
    h = http(base);
    bob = await LyncClient.connect(w.ports.tcp, BOB, 'b1');
    await bob.register();
    expect((await bob.service(MEMBERS, members(200, 0, '<member type="sameEnterprise"/>'))).status).toBe(200);
  });
  afterEach(async () => {
    bob.close();
    await w.stop();
  });

  it('POST /sessions signs in with the directory password; wrong ones are 401 problem+json, then 429 after the failure limit', async () => {
    const ok = await h('POST', '/api/v1/sessions', { body: { user: 'alice@contoso.com', password: 'alice-dev-password' } });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ tokenType: 'Bearer', user: ALICE, expiresIn: 300 });
    expect(ok.headers.get('cache-control')).toBe('no-store');
    const bad = await h('POST', '/api/v1/sessions', { body: { user: 'alice@contoso.com', password: 'nope' } });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(bad.headers.get('www-authenticate')).toBe('Bearer realm="presence"');
    expect(bad.body).toEqual({ type: 'urn:presence:problem:web-err-unauthorized', title: 'wrong user or password', status: 401, code: 'WEB_ERR_UNAUTHORIZED', instance: '/api/v1/sessions' });
    expect((await h('POST', '/api/v1/sessions', { body: { user: 'nobody@contoso.com', password: 'x' } })).status).toBe(401);
    await h('POST', '/api/v1/sessions', { body: { user: 'alice@contoso.com', password: 'nope2' } });
    await h('POST', '/api/v1/sessions', { body: { user: 'alice@contoso.com', password: 'nope3' } });
    const blocked = await h('POST', '/api/v1/sessions', { body: { user: 'alice@contoso.com', password: 'alice-dev-password' } });
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get('retry-after')).toBe('300');
    const invalid = await h('POST', '/api/v1/sessions', { body: { user: 'alice@contoso.com' } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.code).toBe('WEB_ERR_VALIDATION');
    expect(invalid.body.errors).toEqual([{ path: 'password', message: "must have required property 'password'" }]);
    const notJson = await h('POST', '/api/v1/sessions', { body: '{"user":', headers: { 'content-type': 'application/json' } });
    expect(notJson.status).toBe(400);
    expect(notJson.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('checks passwords against HA1 (md5(user:realm:password)) when the directory keeps no clear password', async () => {
    const { passwordMatches } = await import('@presence/web');
    const { createHash } = await import('node:crypto');
    const md5 = (s: string) => createHash('md5').update(s).digest('hex');
    const entry = { aor: 'sip:dave@contoso.com', ha1: { MD5: md5('dave:contoso.com:s3cret') }, ha1b: { MD5: md5('dave@contoso.com:contoso.com:other') } };
    expect(passwordMatches(entry, 'contoso.com', 's3cret')).toBe(true);
    expect(passwordMatches(entry, 'contoso.com', 'other')).toBe(true);
    expect(passwordMatches(entry, 'contoso.com', 'S3cret')).toBe(false);
    expect(passwordMatches({ aor: 'sip:x@contoso.com' }, 'contoso.com', '')).toBe(false);
  });

  it('401 without, with a bad, or with a refresh token; refresh rotates; sign-out ends the session and its endpoint', async () => {
    expect((await h('GET', '/api/v1/me/presence')).status).toBe(401);
    expect((await h('GET', '/api/v1/me/presence', { token: 'abc.def' })).status).toBe(401);
    const t = await signIn(h, 'alice@contoso.com');
    expect((await h('GET', '/api/v1/me/presence', { token: t.refreshToken })).status).toBe(401);
    const tampered = t.accessToken.replace(/^./, (c) => (c === 'e' ? 'f' : 'e'));
    expect((await h('GET', '/api/v1/me/presence', { token: tampered })).status).toBe(401);
    const r = await h('POST', '/api/v1/sessions/refresh', { body: { refreshToken: t.refreshToken } });
    expect(r.status).toBe(200);
    expect((await h('POST', '/api/v1/sessions/refresh', { body: { refreshToken: t.refreshToken } })).status).toBe(401);
    expect((await h('GET', '/api/v1/me/presence', { token: r.body.accessToken })).status).toBe(200);
    const { listRecords, registrations } = await import('@presence/state');
    const regs = async () => (await listRecords(w.store, { pool: w.pool, user: ALICE }, registrations)).map((x) => x.value.transport);
    expect(await regs()).toEqual(['web']);
    expect((await h('DELETE', '/api/v1/sessions/current', { token: r.body.accessToken })).status).toBe(204);
    expect((await h('GET', '/api/v1/me/presence', { token: r.body.accessToken })).status).toBe(401);
    expect(await regs()).toEqual([]);
  });

  it('403 for a valid token of a user the directory no longer lists', async () => {
    const t = await signIn(h, 'alice@contoso.com');
    const dir = webOf(w).api.d.directory!;
    dir.set(ALICE, undefined);
    const r = await h('GET', '/api/v1/me/contacts', { token: t.accessToken });
    expect(r.status).toBe(403);
    expect(r.body.code).toBe('WEB_ERR_FORBIDDEN');
  });

  it('PUT /me/presence publishes as the web endpoint: a Lync watcher gets the availability, GET shows it, sign-out takes it away', async () => {
    const t = await signIn(h, 'alice@contoso.com');
    await bob.categorySubscribe([{ uri: ALICE }], { categories: ['state', 'note'] });
    const put = await h('PUT', '/api/v1/me/presence', { token: t.accessToken, body: { availability: 'away', note: 'Back at 3' } });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ uri: ALICE, availability: 15500, availabilityName: 'away', note: 'Back at 3' });
    const n = await bob.nextNotify(3000, (m) => m.body.toString().includes('<availability>15500</availability>'));
    expect(getHeader(n, 'Event')).toBe('presence');
    const byNumber = await h('PUT', '/api/v1/me/presence', { token: t.accessToken, body: { availability: 6500 } });
    expect(byNumber.body).toMatchObject({ availability: 6500, availabilityName: 'busy' });
    expect((await h('PUT', '/api/v1/me/presence', { token: t.accessToken, body: { availability: 'sleepy' } })).status).toBe(400);
    expect((await h('PUT', '/api/v1/me/presence', { token: t.accessToken, body: { availability: 99 } })).status).toBe(400);
    const get = await h('GET', '/api/v1/me/presence', { token: t.accessToken });
    expect(get.body).toMatchObject({ availability: 6500, availabilityName: 'busy' });
    bob.sip.received.length = 0;
    expect((await h('DELETE', '/api/v1/sessions/current', { token: t.accessToken })).status).toBe(204);
    const gone = await bob.nextNotify(3000, (m) => m.body.toString().includes('<availability>18500</availability>'));
    expect(gone).toBeDefined();
  });

  it('a web session that expires ends its endpoint: what the browser published goes, watchers see offline, the token stops', async () => {
    const t = await signIn(h, 'alice@contoso.com');
    await bob.categorySubscribe([{ uri: ALICE }], { categories: ['state'] });
    expect((await h('PUT', '/api/v1/me/presence', { token: t.accessToken, body: { availability: 'busy' } })).status).toBe(200);
    await bob.nextNotify(3000, (m) => m.body.toString().includes('<availability>6500</availability>'));
    // The sweeper of a web instance, nine hours on (WEB_SESSION_TTL_S is 8 h).
    const { Sessions } = await import('../services/web/src/sessions.js');
    const o = (webOf(w).api.d.sessions as unknown as { o: ConstructorParameters<typeof Sessions>[0] }).o;
    const later = new Sessions({ ...o, now: () => Date.now() + 9 * 3600_000 });
    expect(await later.sweep([w.pool])).toBe(1);
    await bob.nextNotify(3000, (m) => m.body.toString().includes('<availability>18500</availability>'));
    const { listRecords, publications } = await import('@presence/state');
    const left = (await listRecords(w.store, { pool: w.pool, user: ALICE }, publications)).filter((r) => r.value.expireType === 'endpoint');
    expect(left).toEqual([]);
    expect((await h('GET', '/api/v1/me/presence', { token: t.accessToken })).status).toBe(401);
  });

  it('a browser that stops refreshing goes offline after WEB_ENDPOINT_TTL_S; using the session again brings it back online', async () => {
    const t = await signIn(h, 'alice@contoso.com');
    await bob.categorySubscribe([{ uri: ALICE }], { categories: ['state'] });
    await bob.nextNotify(3000, (m) => m.body.toString().includes('<availability>3500</availability>')).catch(() => undefined);
    const { Sessions } = await import('../services/web/src/sessions.js');
    const o = (webOf(w).api.d.sessions as unknown as { o: ConstructorParameters<typeof Sessions>[0] }).o;
    // Eleven minutes on: the endpoint (600 s) is due, the session (8 h) is not.
    expect(await new Sessions({ ...o, now: () => Date.now() + 11 * 60_000 }).sweep([w.pool])).toBe(1);
    await bob.nextNotify(3000, (m) => m.body.toString().includes('<availability>18500</availability>'));
    bob.sip.received.length = 0;
    expect((await h('GET', '/api/v1/me/containers', { token: t.accessToken })).status).toBe(200);
    await bob.nextNotify(3000, (m) => m.body.toString().includes('<availability>3500</availability>'));
  });

  it('bad input gets a problem and changes nothing', async () => {
    const t = await signIn(h, 'alice@contoso.com');
    expect((await h('PUT', '/api/v1/me/presence', { token: t.accessToken, body: { availability: 'busy', note: 'kept' } })).status).toBe(200);
    const cases: [string, string, unknown, Record<string, string>?][] = [
      ['PUT', '/api/v1/me/presence', { availability: 'away', note: 'x'.repeat(20_000) }],
      ['PUT', '/api/v1/me/presence', { availability: 'away', note: 'x'.repeat(1001) }],
      ['PUT', '/api/v1/me/presence', { availability: 'away', activity: '<script>' }],
      ['PUT', '/api/v1/me/presence', { availability: 'away', extra: 1 }],
      ['PUT', '/api/v1/me/presence', { availability: 15500.5 }],
      ['PUT', '/api/v1/me/presence', 'availability=away', { 'content-type': 'text/plain' }],
      ['PUT', '/api/v1/me/presence', '{"availability":"away"', { 'content-type': 'application/json' }],
      ['PUT', '/api/v1/me/presence', '{"__proto__":{"availability":"away"}}', { 'content-type': 'application/json' }],
      ['POST', '/api/v1/me/contacts', { uri: 'bob@contoso.com', groups: ['x'] }],
      ['POST', '/api/v1/me/contacts', { uri: '<bob>' }],
      ['PUT', '/api/v1/me/containers/70000', { add: [{ type: 'everyone' }] }],
      ['DELETE', '/api/v1/me/groups/abc', undefined],
    ];
    for (const [method, path, body, headers] of cases) {
      const r = await h(method, path, { token: t.accessToken, ...(body !== undefined ? { body } : {}), ...(headers ? { headers } : {}) });
      expect([400, 404, 413, 415], `${method} ${path} ${String(JSON.stringify(body)).slice(0, 60)}`).toContain(r.status);
      expect(r.headers.get('content-type'), path).toMatch(/^application\/problem\+json/);
      expect(r.body.status).toBe(r.status);
    }
    expect((await h('GET', '/api/v1/users/%ZZbob/presence', { token: t.accessToken })).status).toBe(400);
    expect((await h('GET', '/api/v1/me/presence', { token: t.accessToken })).body).toMatchObject({ availability: 6500, note: 'kept' });
    expect((await h('GET', '/api/v1/me/contacts', { token: t.accessToken })).body.contacts).toEqual([]);
    const junkResume = await SseReader.open(`${base}/api/v1/stream?access_token=${t.accessToken}&lastEventId=abc`);
    expect(junkResume.status).toBe(400);
    const junkHeader = await SseReader.open(`${base}/api/v1/stream`, { authorization: `Bearer ${t.accessToken}`, 'last-event-id': '-5; DROP' });
    expect(junkHeader.status).toBe(200);
    expect((await junkHeader.next((e) => e.event === 'snapshot')).data.user).toBe(ALICE);
    junkHeader.close();
  });

  it('keeps at most WEB_MAX_SESSIONS_PER_USER sessions: a new sign-in past it signs out the oldest', async () => {
    const tokens = [];
    for (let i = 0; i < 5; i++) tokens.push(await signIn(h, 'alice@contoso.com'));
    expect((await h('GET', '/api/v1/me/containers', { token: tokens[0]!.accessToken })).status).toBe(401);
    for (const t of tokens.slice(1)) expect((await h('GET', '/api/v1/me/containers', { token: t.accessToken })).status).toBe(200);
    const { listRecords, registrations } = await import('@presence/state');
    expect((await listRecords(w.store, { pool: w.pool, user: ALICE }, registrations)).length).toBe(4);
  });

  it('the stream follows the contact list (a removed contact is no longer watched) and ends when its session’s endpoint ends', async () => {
    const t = await signIn(h, 'alice@contoso.com');
    await h('POST', '/api/v1/me/contacts', { token: t.accessToken, body: { uri: 'bob@contoso.com' } });
    const sse = await SseReader.open(`${base}/api/v1/stream`, { authorization: `Bearer ${t.accessToken}` });
    await sse.next((e) => e.event === 'snapshot');
    expect((await h('DELETE', '/api/v1/me/contacts/bob@contoso.com', { token: t.accessToken })).status).toBe(204);
    await sse.next((e) => e.event === 'contacts' && e.data.contacts.length === 0);
    const { listRecords, watchers } = await import('@presence/state');
    // Alice's stream dialog no longer watches Bob ([MS-PRES] §3.4.5.1.1 unsubscribe action).
    await expect.poll(async () => (await listRecords(w.store, { pool: w.pool, user: BOB }, watchers)).filter((x) => x.value.subscriber === ALICE).length, { timeout: 3000 }).toBe(0);
    expect((await bob.service(PUBLISH, publish(BOB, machineState(2, 0, 6500) + machineState(3, 0, 6500)))).status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect(sse.events.filter((e) => e.event === 'presence')).toEqual([]);
    // The session's endpoint ends (expiry): the services end the stream's dialogs, and the stream ends.
    const { Sessions } = await import('../services/web/src/sessions.js');
    const o = (webOf(w).api.d.sessions as unknown as { o: ConstructorParameters<typeof Sessions>[0] }).o;
    await new Sessions({ ...o, now: () => Date.now() + 9 * 3600_000 }).sweep([w.pool]);
    await expect.poll(() => sse.ended, { timeout: 3000 }).toBe(true);
  });

  it('GET /users/{uri}/presence shows what the caller may see: a blocked caller sees exactly what a blocked SIP watcher sees', async () => {
    expect((await bob.service(PUBLISH, publish(BOB, machineState(2, 0, 6500) + machineState(3, 0, 6500)))).status).toBe(200);
    const t = await signIn(h, 'alice@contoso.com');
    const seen = await h('GET', `/api/v1/users/${encodeURIComponent(BOB)}/presence`, { token: t.accessToken });
    expect(seen.status).toBe(200);
    expect(seen.body).toMatchObject({ uri: BOB, availability: 6500, availabilityName: 'busy' });
    expect((await h('GET', '/api/v1/users/bob@contoso.com/presence', { token: t.accessToken })).body.availability).toBe(6500);

    // Blocking as Lync does it: Alice in 32000, and 32000 holding (empty) state and note instances,
    // since only containers that hold a category take part in its resolution ([MS-PRES] §3.2.5.3).
    expect((await bob.service(MEMBERS, members(32000, 0, '<member type="user" value="alice@contoso.com"/>'))).status).toBe(200);
    const empty = (c: string) => `<publication categoryName="${c}" instance="0" container="32000" version="0" expireType="static"/>`;
    expect((await bob.service(PUBLISH, publish(BOB, empty('state') + empty('note')))).status).toBe(200);
    const blocked = await h('GET', '/api/v1/users/bob@contoso.com/presence', { token: t.accessToken });
    expect(blocked.status).toBe(200);
    // Alice's own Lync client, polling Bob's categories, is a blocked SIP watcher.
    const aliceSip = await LyncClient.connect(w.ports.tcp, ALICE, 'a1');
    try {
      await aliceSip.register();
      const res = await aliceSip.categorySubscribe([{ uri: BOB }], { categories: ['state', 'note', 'contactCard'], expires: 0 });
      const docs = parseNotifiedCategories(getHeader(res, 'Content-Type') ?? '', res.body.toString());
      const sipView = presenceView(BOB, docs.find((d) => d.uri === BOB)?.categories ?? []);
      expect(blocked.body).toEqual(sipView);
      expect(blocked.body).toMatchObject({ availability: null, availabilityName: 'unknown', note: null });
    } finally {
      aliceSip.close();
    }
    expect((await h('GET', '/api/v1/users/not-a-uri/presence', { token: t.accessToken })).status).toBe(400);
  });

  it('blocking through the API works for a user who never ran Lync: 32000 gets its placeholders, the blocked caller sees nothing', async () => {
    // Carol signs in on the web only and is busy; Alice (a colleague) sees it until Carol blocks her.
    const carol = await signIn(h, 'carol@contoso.com');
    const alice = await signIn(h, 'alice@contoso.com');
    expect((await h('PUT', '/api/v1/me/presence', { token: carol.accessToken, body: { availability: 'busy', note: 'deep work' } })).status).toBe(200);
    expect((await h('GET', '/api/v1/users/carol@contoso.com/presence', { token: alice.accessToken })).body).toMatchObject({ availability: 6500, note: 'deep work' });
    expect((await h('PUT', '/api/v1/me/containers/32000', { token: carol.accessToken, body: { add: [{ type: 'user', value: 'alice@contoso.com' }] } })).status).toBe(200);
    expect((await h('GET', '/api/v1/users/carol@contoso.com/presence', { token: alice.accessToken })).body).toMatchObject({ availability: null, availabilityName: 'unknown', note: null });
    // Bob, not blocked, still sees her.
    const b = await signIn(h, 'bob@contoso.com');
    expect((await h('GET', '/api/v1/users/carol@contoso.com/presence', { token: b.accessToken })).body).toMatchObject({ availability: 6500 });
  });

  it('contacts and groups: the same roaming list as SIP clients, deltas reach them, deltaNum rules apply', async () => {
    const t = await signIn(h, 'bob@contoso.com');
    const type = 'application/vnd-microsoft-roaming-contacts+xml';
    expect((await bob.subscribeOwn('vnd-microsoft-roaming-contacts', type)).status).toBe(200);
    const g = await h('POST', '/api/v1/me/groups', { token: t.accessToken, body: { name: 'Team' } });
    expect(g.status).toBe(201);
    expect(g.body.id).toBeGreaterThan(1);
    const add = await h('POST', '/api/v1/me/contacts', { token: t.accessToken, body: { uri: 'alice@contoso.com', name: 'Alice', groups: [g.body.id] } });
    expect(add.status).toBe(201);
    expect(add.body.contacts).toEqual([{ uri: ALICE, name: 'Alice', groups: [g.body.id] }]);
    expect(add.body.deltaNum).toBe(2);
    const delta = await bob.nextNotify(3000, (m) => m.body.toString().includes('addedContact'));
    expect(delta.body.toString()).toContain('<addedContact uri="sip:alice@contoso.com" name="Alice"');
    const list = await h('GET', '/api/v1/me/contacts', { token: t.accessToken });
    expect(list.body.groups.map((x: { name: string }) => x.name)).toEqual(['~', 'Team']);
    expect((await h('DELETE', '/api/v1/me/contacts/sip%3Acarol%40contoso.com', { token: t.accessToken })).status).toBe(404);
    expect((await h('DELETE', `/api/v1/me/contacts/${encodeURIComponent(ALICE)}`, { token: t.accessToken })).status).toBe(204);
    expect((await bob.nextNotify(3000, (m) => m.body.toString().includes('deletedContact'))).body.toString()).toContain('<deletedContact uri="sip:alice@contoso.com"/>');
    expect((await h('DELETE', `/api/v1/me/groups/${g.body.id}`, { token: t.accessToken })).status).toBe(204);
    expect((await h('DELETE', '/api/v1/me/groups/999', { token: t.accessToken })).status).toBe(404);
    expect((await h('GET', '/api/v1/me/contacts', { token: t.accessToken })).body).toEqual({ deltaNum: 4, groups: [{ id: 1, name: '~' }], contacts: [] });
  });

  it('presence rules: GET and PUT container members (setContainerMembers), and a change moves what a watcher sees', async () => {
    const t = await signIn(h, 'bob@contoso.com');
    const before = await h('GET', '/api/v1/me/containers', { token: t.accessToken });
    expect(before.body).toEqual([{ id: 200, version: 1, members: [{ type: 'sameEnterprise' }] }]);
    const put = await h('PUT', '/api/v1/me/containers/32000', { token: t.accessToken, body: { add: [{ type: 'user', value: 'alice@contoso.com' }] } });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ id: 32000, version: 1, members: [{ type: 'user', value: 'alice@contoso.com' }] });
    const removed = await h('PUT', '/api/v1/me/containers/32000', { token: t.accessToken, body: { remove: [{ type: 'user', value: 'alice@contoso.com' }] } });
    expect(removed.body).toEqual({ id: 32000, version: 2, members: [] });
    expect((await h('PUT', '/api/v1/me/containers/200', { token: t.accessToken, body: { add: [{ type: 'robots' }] } })).status).toBe(400);
  });

  it('rate-limits each user: past the burst, 429 with Retry-After', async () => {
    const t = await signIn(h, 'alice@contoso.com');
    const statuses: number[] = [];
    // A burst of 100, then 2 per second: 130 calls in a row cannot all pass unless they take 15 s.
    const t0 = Date.now();
    for (let i = 0; i < 130; i++) statuses.push((await h('GET', '/api/v1/me/containers', { token: t.accessToken })).status);
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(statuses.slice(0, 100).every((s) => s === 200)).toBe(true);
    expect(statuses).toContain(429);
    const r = await h('GET', '/api/v1/me/containers', { token: t.accessToken });
    expect(r.status).toBe(429);
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Another user is not limited by Alice's calls.
    const b = await signIn(h, 'bob@contoso.com');
    expect((await h('GET', '/api/v1/me/containers', { token: b.accessToken })).status).toBe(200);
  });

  it('streams the contacts’ presence (SSE): a snapshot, then changes; Last-Event-ID resumes with what was missed', async () => {
    const t = await signIn(h, 'alice@contoso.com');
    await h('POST', '/api/v1/me/contacts', { token: t.accessToken, body: { uri: 'bob@contoso.com', name: 'Bob' } });
    const sse = await SseReader.open(`${base}/api/v1/stream`, { authorization: `Bearer ${t.accessToken}` });
    expect(sse.status).toBe(200);
    expect(sse.contentType).toBe('text/event-stream; charset=utf-8');
    const snap = await sse.next((e) => e.event === 'snapshot');
    expect(snap.data.contacts).toMatchObject([{ uri: BOB, name: 'Bob', presence: { uri: BOB } }]);
    expect((await bob.service(PUBLISH, publish(BOB, machineState(2, 0, 6500) + machineState(3, 0, 6500)))).status).toBe(200);
    const busy = await sse.next((e) => e.event === 'presence' && e.data.availability === 6500, 3000);
    expect(busy.data).toMatchObject({ uri: BOB, availabilityName: 'busy' });
    sse.close();
    // Missed while away: Bob goes Away.
    expect((await bob.service(PUBLISH, publish(BOB, machineState(2, 1, 15500) + machineState(3, 1, 15500)))).status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    const again = await SseReader.open(`${base}/api/v1/stream`, { authorization: `Bearer ${t.accessToken}`, 'last-event-id': busy.id! });
    const away = await again.next((e) => e.event === 'presence' && e.data.availability === 15500, 3000);
    expect(Number(away.id)).toBeGreaterThan(Number(busy.id));
    expect(again.events.some((e) => e.event === 'snapshot')).toBe(false);
    again.close();
    // An id the session never gave: a new snapshot.
    const fresh = await SseReader.open(`${base}/api/v1/stream?access_token=${t.accessToken}&lastEventId=99999`);
    expect((await fresh.next((e) => e.event === 'snapshot')).data.contacts[0].presence.availability).toBe(15500);
    fresh.close();
    expect((await SseReader.open(`${base}/api/v1/stream`)).status).toBe(401);
  });
});

describe('web API through fastify inject, and its OpenAPI document', () => {
  let w: World;
  let app: FastifyInstance;

  beforeAll(async () => {
    w = await startWorld({ mode: 'embedded' });
    app = Fastify();
    registerWebRoutes(app, () => webOf(w));
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await w.stop();
  });

  it('serves a valid OpenAPI 3.1 document generated from the route schemas, naming every route', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    const copy = structuredClone(doc);
    await expect(SwaggerParser.validate(copy)).resolves.toBeDefined();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        '/api/v1/me/containers',
        '/api/v1/me/containers/{id}',
        '/api/v1/me/contacts',
        '/api/v1/me/contacts/{uri}',
        '/api/v1/me/groups',
        '/api/v1/me/groups/{id}',
        '/api/v1/me/presence',
        '/api/v1/sessions',
        '/api/v1/sessions/current',
        '/api/v1/sessions/refresh',
        '/api/v1/stream',
        '/api/v1/users/{uri}/presence',
      ].sort(),
    );
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['Presence', 'Problem', 'Tokens', 'ContactList', 'Container']));
  });

  it('answers each route through inject as over a socket: auth, validation and problem+json', async () => {
    const signin = await app.inject({ method: 'POST', url: '/api/v1/sessions', payload: { user: 'carol@contoso.com', password: 'carol-dev-password' } });
    expect(signin.statusCode).toBe(201);
    const auth = { authorization: `Bearer ${signin.json().accessToken}` };
    expect((await app.inject({ method: 'GET', url: '/api/v1/me/presence', headers: auth })).json()).toMatchObject({ uri: 'sip:carol@contoso.com', availabilityName: 'available' });
    expect((await app.inject({ method: 'GET', url: '/api/v1/me/contacts', headers: auth })).json()).toEqual({ deltaNum: 0, groups: [{ id: 1, name: '~' }], contacts: [] });
    expect((await app.inject({ method: 'GET', url: '/api/v1/me/containers', headers: auth })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/api/v1/users/bob%40contoso.com/presence', headers: auth })).statusCode).toBe(200);
    const missing = await app.inject({ method: 'GET', url: '/api/v1/nothing', headers: auth });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(missing.json()).toMatchObject({ status: 404, code: 'WEB_ERR_NOT_FOUND' });
    for (const [method, url] of [
      ['GET', '/api/v1/me/presence'],
      ['PUT', '/api/v1/me/presence'],
      ['GET', '/api/v1/me/contacts'],
      ['DELETE', '/api/v1/sessions/current'],
      ['GET', '/api/v1/me/containers'],
      ['GET', '/api/v1/stream'],
    ] as const) {
      const r = await app.inject({ method, url, ...(method === 'PUT' ? { payload: { availability: 'busy' } } : {}) });
      expect(r.statusCode, `${method} ${url}`).toBe(401);
      expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    const page = await app.inject({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('<script src="/app.js" defer></script>');
    expect(page.body).not.toMatch(/https?:\/\//);
    expect((await app.inject({ method: 'GET', url: '/app.js' })).headers['content-type']).toBe('text/javascript; charset=utf-8');
  });
});

describe('web API with two pools (embedded, PRESENCE_POOLS=pool1,pool2)', () => {
  it('watches contacts homed in another pool at that pool ([MS-PRES] §3.4.5.1.3.1), on the stream and in GET', async () => {
    const w = await startWorld({ mode: 'embedded', env: { PRESENCE_POOLS: 'pool1,pool2', POOL_ID: 'pool1' } });
    const base = `http://127.0.0.1:${w.proc.httpPort}`;
    const h = http(base);
    // Carol is homed in pool2 (config/dev-users.json), Alice in pool1.
    const carol = await LyncClient.connect(w.ports.tcp, 'sip:carol@contoso.com', 'c1');
    try {
      await carol.register();
      expect((await carol.service(MEMBERS, members(200, 0, '<member type="sameEnterprise"/>'))).status).toBe(200);
      const t = await signIn(h, 'alice@contoso.com');
      expect((await h('POST', '/api/v1/me/contacts', { token: t.accessToken, body: { uri: 'carol@contoso.com' } })).status).toBe(201);
      const sse = await SseReader.open(`${base}/api/v1/stream`, { authorization: `Bearer ${t.accessToken}` });
      try {
        await sse.next((e) => e.event === 'snapshot');
        const pub = `<publish xmlns="http://schemas.microsoft.com/2006/09/sip/rich-presence"><publications uri="sip:carol@contoso.com">${machineState(2, 0, 6500)}${machineState(3, 0, 6500)}</publications></publish>`;
        expect((await carol.service(PUBLISH, pub)).status).toBe(200);
        const busy = await sse.next((e) => e.event === 'presence' && e.data.uri === 'sip:carol@contoso.com' && e.data.availability === 6500, 3000);
        expect(busy.data.availabilityName).toBe('busy');
        expect((await h('GET', '/api/v1/users/carol@contoso.com/presence', { token: t.accessToken })).body).toMatchObject({ availability: 6500 });
      } finally {
        sse.close();
      }
    } finally {
      carol.close();
      await w.stop();
    }
  });
});
