import { randomUUID } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { edgeSend, endpointGone, eventStreamName, NatsBus, notifyOutcome, sipRequestCommands, type EndpointGone, type NotifyOutcome } from '@presence/bus';
import { createResponse, getHeader, serialize, type SipRequest } from '@presence/sip';
import { getRecord, poolPattern, RedisStore, registrations } from '@presence/state';
import { createLogger } from '@presence/telemetry';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadPools, loadProcessConfig, UserDirectory } from '@presence/runtime';
import { DEV_USERS_FILE, startEdge, type RunningEdge } from '../src/index.js';
import { authorize, buildRequest, TestClient } from '../../../test/support/sip-client.js';

describe('SIP edge in clustered mode (real NATS and Redis)', () => {
  const pool = `t${randomUUID().slice(0, 8)}`;
  let edgeBus: NatsBus;
  let serviceBus: NatsBus;
  let store: RedisStore;
  let edge: RunningEdge;

  beforeAll(async () => {
    edgeBus = await NatsBus.connect({ servers: inject('natsUrl'), name: 'edge-int' });
    serviceBus = await NatsBus.connect({ servers: inject('natsUrl'), name: 'service-int' });
    store = RedisStore.create({ url: inject('redisUrl') });
    await store.ready();
    edge = await startEdge({
      pool,
      instanceId: 'edge-int-1',
      bus: edgeBus,
      store,
      logger: createLogger({ level: 'silent', base: {} }),
      env: { SIP_PORT: '0', SIP_TLS_PORT: '0', SIP_HOST: '127.0.0.1', PRESENCE_USERS_FILE: DEV_USERS_FILE },
      mode: 'clustered',
      pools: loadPools(loadProcessConfig({ POOL_ID: pool }), UserDirectory.fromFile(DEV_USERS_FILE)),
      domains: ['contoso.com'],
      directory: UserDirectory.fromFile(DEV_USERS_FILE),
    });
  });
  afterAll(async () => {
    await edge.stop();
    const jsm = await jetstreamManager(serviceBus.nc);
    await jsm.streams.delete(eventStreamName(pool)).catch(() => undefined);
    const keys = await store.redis.keys(poolPattern(pool));
    if (keys.length > 0) await store.redis.del(...keys);
    await Promise.all([edgeBus.close(), serviceBus.close(), store.close()]);
  });

  it('registers with digest over TCP, routes SERVICE to a service over NATS, delivers its NOTIFY, reports the outcome, and announces the sign-out', async () => {
    const gone: EndpointGone[] = [];
    const outcomes: NotifyOutcome[] = [];
    await serviceBus.consume(endpointGone, pool, 'publication', async (e) => void gone.push(e));
    await serviceBus.consume(notifyOutcome, pool, 'subscription', async (o) => void outcomes.push(o));
    await serviceBus.handle(sipRequestCommands.publication, pool, (cmd) => ({ status: 200, body: `served ${cmd.user} on ${cmd.connectionId}` }));

    const c = await TestClient.tcp(edge.ports.tcp);
    try {
      const reg = buildRequest(c, { method: 'REGISTER' });
      const ok = await c.request(authorize(reg, await c.request(reg), 'sip:alice@contoso.com', 'alice-dev-password'));
      expect(ok.status).toBe(200);
      const binding = await getRecord(store, { pool, user: 'sip:alice@contoso.com' }, registrations, 'a1b2c3d4e5');
      expect(binding?.value).toMatchObject({ edgeId: 'edge-int-1', transport: 'tcp' });

      const res = await c.request(buildRequest(c, { method: 'SERVICE', headers: [{ name: 'Content-Type', value: 'application/msrtc-category-publish+xml' }], body: '<publish/>' }));
      expect(res.status).toBe(200);
      expect(res.body.toString()).toBe(`served sip:alice@contoso.com on ${binding!.value.connectionId}`);

      const sendNotify = (ref: string, cseq: number) =>
        serviceBus.request(edgeSend, 'edge-int-1', {
          pool,
          connectionId: binding!.value.connectionId,
          method: 'NOTIFY',
          uri: 'sip:alice@contoso.com',
          ref,
          headers: [
            { name: 'From', value: '<sip:alice@contoso.com>;tag=s' },
            { name: 'To', value: '<sip:alice@contoso.com>;tag=c' },
            { name: 'Call-ID', value: 'd-1' },
            { name: 'CSeq', value: `${cseq} NOTIFY` },
            { name: 'Event', value: 'vnd-microsoft-roaming-self' },
            { name: 'Subscription-State', value: 'active;expires=600' },
          ],
          body: '',
        });
      // A NOTIFY answered 200 is no news (no event); one answered 481 is reported through JetStream.
      expect(await sendNotify('n-1', 1)).toEqual({ sent: true });
      const first = (await c.next((m) => m.type === 'request' && m.method === 'NOTIFY')) as SipRequest;
      expect(getHeader(first, 'Call-ID')).toBe('d-1');
      c.send(serialize(createResponse(first, 200)));
      expect(await sendNotify('n-2', 2)).toEqual({ sent: true });
      const second = (await c.next((m) => m.type === 'request' && m.method === 'NOTIFY' && getHeader(m, 'CSeq') === '2 NOTIFY')) as SipRequest;
      c.send(serialize(createResponse(second, 481)));
      await expect.poll(() => outcomes, { timeout: 5000 }).toEqual([{ ref: 'n-2', edgeId: 'edge-int-1', connectionId: binding!.value.connectionId, callId: 'd-1', status: 481 }]);

      expect((await c.request(buildRequest(c, { method: 'REGISTER', cseq: 20, headers: [{ name: 'Expires', value: '0' }] }))).status).toBe(200);
      await expect.poll(() => gone, { timeout: 5000 }).toHaveLength(1);
      expect(gone[0]).toMatchObject({ user: 'sip:alice@contoso.com', epid: 'a1b2c3d4e5', reason: 'unregistered', lastEndpoint: true });
    } finally {
      c.close();
    }
  });
});
