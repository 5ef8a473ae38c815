import { getHeader } from '@presence/sip';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { buildRequest } from './support/sip-client.js';
import { LyncClient } from './support/lync-client.js';
import { ownNats, ownRedis, type OwnServer } from './support/own-servers.js';
import { startWorld, type World } from './support/world.js';

const PUBLISH = 'application/msrtc-category-publish+xml';
const note = (v: number, text: string) =>
  `<publish xmlns="http://schemas.microsoft.com/2006/09/sip/rich-presence"><publications uri="sip:alice@contoso.com"><publication categoryName="note" instance="0" container="400" version="${v}" expireType="static"><note xmlns="http://schemas.microsoft.com/2006/09/sip/note"><body type="personal" uri="">${text}</body></note></publication></publications></publish>`;

/** Clustered worlds on a Redis or NATS of the test's own, restarted in the test (issue 12 items 7 and 8). */
describe('store loss and dependency outages (clustered, own Redis / NATS)', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f().catch(() => undefined);
  });
  const world = async (o: { redis?: OwnServer; nats?: OwnServer }): Promise<World> => {
    // The other dependency is the shared one of the integration tests (never restarted here).
    const natsUrl = o.nats?.url ?? inject('natsUrl');
    const redisUrl = o.redis?.url ?? inject('redisUrl');
    const w = await startWorld({ mode: 'clustered', natsUrl, redisUrl, env: { STORE_CHECK_MS: '200', BUS_REQUEST_TIMEOUT_MS: '1500' } });
    cleanup.push(() => w.stop());
    return w;
  };
  const signIn = async (w: World, user = 'sip:alice@contoso.com') => {
    const c = await LyncClient.connect(w.ports.tcp, user);
    cleanup.push(async () => c.close());
    expect((await c.register()).status).toBe(200);
    return c;
  };

  it('Redis down: REGISTER and SERVICE get 503 with Retry-After at once; restarted empty: every connection is closed, clients sign in again', async () => {
    const redis = await ownRedis(false);
    cleanup.push(() => redis.stop());
    const w = await world({ redis });
    const alice = await signIn(w);
    expect((await alice.service(PUBLISH, note(0, 'before'))).status).toBe(200);

    await redis.stop();
    const t0 = Date.now();
    const pub = await alice.service(PUBLISH, note(1, 'during'));
    expect(pub.status).toBe(503);
    expect(getHeader(pub, 'Retry-After')).toBe('5');
    const fresh = await LyncClient.connect(w.ports.tcp, 'sip:bob@contoso.com');
    cleanup.push(async () => fresh.close());
    const reg = await fresh.request('REGISTER');
    expect(reg.status).toBe(503);
    expect(getHeader(reg, 'Retry-After')).toBe('5');
    expect(Date.now() - t0).toBeLessThan(1500);

    await redis.start(); // no persistence: the registrations and dialogs are gone
    await expect.poll(() => alice.sip.closed, { timeout: 5000 }).toBe(true);
    await expect.poll(() => fresh.sip.closed, { timeout: 5000 }).toBe(true);
    const again = await signIn(w);
    expect((await again.service(PUBLISH, note(0, 'after'))).status).toBe(200);
  });

  it('Redis restarted with its append-only file: nothing was lost, connections stay up', async () => {
    const redis = await ownRedis(true);
    cleanup.push(() => redis.stop());
    const w = await world({ redis });
    const alice = await signIn(w);
    expect((await alice.service(PUBLISH, note(0, 'before'))).status).toBe(200);
    await redis.stop();
    await redis.start();
    await new Promise((r) => setTimeout(r, 1500));
    expect(alice.sip.closed).toBe(false);
    expect((await alice.service(PUBLISH, note(1, 'after'))).status).toBe(200);
  });

  it('NATS down: SERVICE and REGISTER get 503 with Retry-After (not 500); after its restart requests succeed again', async () => {
    const nats = await ownNats();
    cleanup.push(() => nats.stop());
    const w = await world({ nats });
    const alice = await signIn(w);
    await nats.stop();
    const pub = await alice.service(PUBLISH, note(0, 'during'));
    expect(pub.status).toBe(503);
    expect(getHeader(pub, 'Retry-After')).toBe('5');
    const bob = await LyncClient.connect(w.ports.tcp, 'sip:bob@contoso.com');
    cleanup.push(async () => bob.close());
    // The registrar's JetStream publish waits for its acknowledgement (up to 5 s) before giving up.
    const reg = await bob.sip.request(buildRequest(bob.sip, { method: 'REGISTER', user: bob.user, epid: bob.epid, cseq: bob.cseq++ }), 10_000);
    expect(reg.status).toBe(503);
    expect(getHeader(reg, 'Retry-After')).toBe('5');
    await nats.start();
    await expect.poll(async () => (await alice.service(PUBLISH, note(0, 'after'))).status, { timeout: 15_000, interval: 500 }).toBe(200);
    expect((await bob.request('REGISTER')).status).toBe(200);
  }, 40_000);
});
