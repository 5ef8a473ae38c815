import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from './support/infra.js';
import { startNode, waitForStatus, type Proc } from './support/process.js';
import { startWorld, type World } from './support/world.js';
import { http, signIn, SseReader, type Http } from './web-support.js';

const ALICE = 'sip:alice@contoso.com';
const BOB = 'sip:bob@contoso.com';
const SECRET = 'test-web-token-secret-0123456789abcdef';

/**
 * Two web instances on real NATS and Redis: web1 in the world's process (beside every other
 * service), web2 its own process (`npm run start:web`'s entry point). Sessions, tokens and stream
 * resumption live in the store, so either instance serves either session.
 */
describe('web service, clustered: two instances', () => {
  let w: World;
  let web2: Proc;
  let h1: Http;
  let h2: Http;
  let base1: string;
  let base2: string;

  beforeAll(async () => {
    w = await startWorld({ mode: 'clustered', natsUrl: inject('natsUrl'), redisUrl: inject('redisUrl'), env: { WEB_TOKEN_SECRET: SECRET, WEB_STREAM_CHECK_MS: '300' } });
    const port = await freePort();
    web2 = startNode('services/web/dist/main.js', {
      HTTP_PORT: String(port),
      HTTP_HOST: '127.0.0.1',
      NATS_URL: inject('natsUrl'),
      REDIS_URL: inject('redisUrl'),
      POOL_ID: w.pool,
      INSTANCE_ID: `web2-${w.pool}`,
      PRESENCE_USERS_FILE: 'config/dev-users.json',
      WEB_TOKEN_SECRET: SECRET,
      WEB_STREAM_CHECK_MS: '300',
    });
    await waitForStatus(`http://127.0.0.1:${port}/readyz`, 200, 20_000);
    base1 = `http://127.0.0.1:${w.proc.httpPort}`;
    base2 = `http://127.0.0.1:${port}`;
    h1 = http(base1);
    h2 = http(base2);
  }, 60_000);

  afterAll(async () => {
    await web2?.stop('SIGTERM');
    await w?.stop();
  });

  it('a stream on one instance sees a change made through the other, both ways; a session made on one is served by the other', async () => {
    const alice = await signIn(h1, 'alice@contoso.com');
    const bob = await signIn(h2, 'bob@contoso.com');
    // Tokens and sessions are shared: Alice's web1 session works on web2, and refreshes there.
    expect((await h2('POST', '/api/v1/me/contacts', { token: alice.accessToken, body: { uri: BOB, name: 'Bob' } })).status).toBe(201);
    expect((await h1('POST', '/api/v1/me/contacts', { token: bob.accessToken, body: { uri: ALICE, name: 'Alice' } })).status).toBe(201);
    const refreshed = await h2('POST', '/api/v1/sessions/refresh', { body: { refreshToken: alice.refreshToken } });
    expect(refreshed.status).toBe(200);
    expect((await h1('POST', '/api/v1/sessions/refresh', { body: { refreshToken: alice.refreshToken } })).status).toBe(401);
    const aliceToken = refreshed.body.accessToken as string;

    const onWeb2 = await SseReader.open(`${base2}/api/v1/stream`, { authorization: `Bearer ${aliceToken}` });
    const onWeb1 = await SseReader.open(`${base1}/api/v1/stream`, { authorization: `Bearer ${bob.accessToken}` });
    try {
      expect(onWeb2.status).toBe(200);
      expect(onWeb1.status).toBe(200);
      await onWeb2.next((e) => e.event === 'snapshot', 10_000);
      await onWeb1.next((e) => e.event === 'snapshot', 10_000);

      // Bob changes through web1: Alice's stream on web2 sees it.
      let t0 = Date.now();
      expect((await h1('PUT', '/api/v1/me/presence', { token: bob.accessToken, body: { availability: 'busy', note: 'Release day' } })).status).toBe(200);
      const busy = await onWeb2.next((e) => e.event === 'presence' && e.data.uri === BOB && e.data.availability === 6500 && e.data.note === 'Release day', 5000);
      const viaWeb1Ms = Date.now() - t0;
      expect(busy.data.availabilityName).toBe('busy');

      // Alice changes through web2... and through web1, the same session: Bob's stream on web1 sees both.
      t0 = Date.now();
      expect((await h2('PUT', '/api/v1/me/presence', { token: aliceToken, body: { availability: 'be-right-back' } })).status).toBe(200);
      await onWeb1.next((e) => e.event === 'presence' && e.data.uri === ALICE && e.data.availability === 12500, 5000);
      const viaWeb2Ms = Date.now() - t0;
      expect((await h1('PUT', '/api/v1/me/presence', { token: aliceToken, body: { availability: 'away' } })).status).toBe(200);
      await onWeb1.next((e) => e.event === 'presence' && e.data.uri === ALICE && e.data.availability === 15500, 5000);
      console.log(`[web-clustered] change through web1 seen on web2 after ${viaWeb1Ms} ms; through web2 seen on web1 after ${viaWeb2Ms} ms`);

      // Resumption state is in the store: Alice's stream resumes on the other instance with what she missed.
      const last = onWeb2.events.at(-1)!.id!;
      onWeb2.close();
      expect((await h2('PUT', '/api/v1/me/presence', { token: bob.accessToken, body: { availability: 'available' } })).status).toBe(200);
      const resumed = await SseReader.open(`${base1}/api/v1/stream`, { authorization: `Bearer ${aliceToken}`, 'last-event-id': last });
      try {
        const missed = await resumed.next((e) => e.event === 'presence' && e.data.uri === BOB && e.data.availability === 3500, 5000);
        expect(Number(missed.id)).toBeGreaterThan(Number(last));
        expect(resumed.events.some((e) => e.event === 'snapshot')).toBe(false);
      } finally {
        resumed.close();
      }
    } finally {
      onWeb2.close();
      onWeb1.close();
    }
    // Sign-out through one instance: the token stops working on both, and a stream of the session
    // on the other instance ends (within WEB_STREAM_CHECK_MS).
    const lingering = await SseReader.open(`${base1}/api/v1/stream`, { authorization: `Bearer ${aliceToken}` });
    await lingering.next((e) => e.event === 'snapshot' || e.event === 'presence', 10_000).catch(() => undefined);
    expect((await h2('DELETE', '/api/v1/sessions/current', { token: aliceToken })).status).toBe(204);
    expect((await h1('GET', '/api/v1/me/presence', { token: aliceToken })).status).toBe(401);
    await expect.poll(() => lingering.ended, { timeout: 5000 }).toBe(true);
  }, 60_000);
});
