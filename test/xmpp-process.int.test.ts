import { afterEach, describe, expect, inject, it } from 'vitest';
import { freePort } from './support/infra.js';
import { startNode, waitForStatus, type Proc } from './support/process.js';
import { header, RawXmpp } from './xmpp-support/raw-client.js';

/** `npm run start:xmpp-edge`: the XMPP edge alone as a clustered process (real NATS and Redis). */
describe('xmpp-edge as its own process', () => {
  let proc: Proc | undefined;
  afterEach(async () => {
    await proc?.stop();
  });

  it('starts, is ready, answers a stream with STARTTLS required and BOSH with the SASL features, and stops on SIGTERM', async () => {
    const [http, xmpp] = [await freePort(), await freePort()];
    proc = startNode('services/xmpp-edge/dist/main.js', {
      HTTP_PORT: String(http),
      HTTP_HOST: '127.0.0.1',
      XMPP_PORT: String(xmpp),
      XMPP_HOST: '127.0.0.1',
      NATS_URL: inject('natsUrl'),
      REDIS_URL: inject('redisUrl'),
      POOL_ID: `x${Math.random().toString(36).slice(2, 8)}`,
      PRESENCE_USERS_FILE: 'config/dev-users.json',
    });
    await waitForStatus(`http://127.0.0.1:${http}/readyz`, 200, 20_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${proc!.output()}`);
    });
    const c = await RawXmpp.open(xmpp);
    c.write(header());
    await c.until(/<stream:features><starttls xmlns="urn:ietf:params:xml:ns:xmpp-tls"><required\/><\/starttls><\/stream:features>/);
    c.close();
    const bosh = await fetch(`http://127.0.0.1:${http}/http-bind`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: '<body rid="1" to="contoso.com" wait="5" xmlns="http://jabber.org/protocol/httpbind" xmlns:xmpp="urn:xmpp:xbosh" xmpp:version="1.0"/>' });
    expect(await bosh.text()).toContain('<mechanism>SCRAM-SHA-256</mechanism>');
    const { code } = await proc.stop();
    expect(code).toBe(0);
    expect(proc.output()).not.toMatch(/"level":(50|60)/);
  }, 40_000);
});
