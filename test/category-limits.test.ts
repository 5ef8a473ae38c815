import { afterEach, expect, it } from 'vitest';
import { LyncClient } from './support/lync-client.js';
import { parts } from './support/multipart.js';
import { startWorld, type World } from './support/world.js';
import { canonical } from './support/xml.js';

let w: World | undefined;
const clients: LyncClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await w?.stop();
});

async function signIn(user: string): Promise<LyncClient> {
  const c = await LyncClient.connect(w!.ports.tcp, user);
  clients.push(c);
  await c.register();
  return c;
}

it('refuses a watcher beyond a publisher’s incoming-subscription quota with terminated/quotaExceeded/413 (§3.4.5.1.3.1)', async () => {
  w = await startWorld({ mode: 'embedded', env: { MAX_WATCHERS_PER_PUBLISHER: '1' } });
  const alice = await signIn('sip:alice@contoso.com');
  const carol = await signIn('sip:carol@contoso.com');
  expect(parts(await alice.categorySubscribe([{ uri: 'sip:bob@contoso.com' }]))).toHaveLength(2);
  const res = await carol.categorySubscribe([{ uri: 'sip:bob@contoso.com' }, { uri: 'sip:john@contoso.com' }]);
  const [rlmi, ...cats] = parts(res);
  expect(canonical(rlmi!.body)).toEqual(
    canonical(
      `<list xmlns="urn:ietf:params:xml:ns:rlmi" uri="sip:carol@contoso.com" version="0" fullState="false"><resource uri="sip:bob@contoso.com"><instance id="0" state="terminated" reason="quotaExceeded" statusCode="413" cid="bob@contoso.com"/></resource></list>`,
    ),
  );
  expect(cats.map((p) => /uri="([^"]+)"/.exec(p.body)![1])).toEqual(['sip:john@contoso.com']);
});

it('refuses more contacts on one dialog than configured with 413', async () => {
  w = await startWorld({ mode: 'embedded', env: { MAX_CONTACTS_PER_DIALOG: '2' } });
  const alice = await signIn('sip:alice@contoso.com');
  const res = await alice.categorySubscribe([{ uri: 'sip:bob@contoso.com' }, { uri: 'sip:john@contoso.com' }, { uri: 'sip:carol@contoso.com' }]);
  expect(res.status).toBe(413);
});

it('without piggybacking, sends the rlmi multipart in a NOTIFY right after an empty 200', async () => {
  w = await startWorld({ mode: 'embedded' });
  const alice = await signIn('sip:alice@contoso.com');
  const res = await alice.categorySubscribe([{ uri: 'sip:bob@contoso.com' }], { piggyback: false, benotify: false });
  expect(res.status).toBe(200);
  expect(res.body.length).toBe(0);
  const n = await alice.nextNotify();
  expect(n.method).toBe('NOTIFY');
  expect(parts(n).map((p) => p.headers['content-type'])).toEqual(['application/rlmi+xml', 'application/msrtc-event-categories+xml']);
});

it('takes the subscriber’s source network from ms-source-network: a federated context entry is typed so', async () => {
  w = await startWorld({ mode: 'embedded' });
  const bob = await signIn('sip:bob@contoso.com');
  await bob.selfSubscribe();
  bob.sip.received.length = 0;
  const carol = await signIn('sip:carol@contoso.com');
  const trust = { name: 'ms-edge-proxy-message-trust', value: 'ms-source-type=DirectPartner;ms-source-verified-user=verified;ms-source-network=federation' };
  await carol.categorySubscribe([{ uri: 'sip:bob@contoso.com', context: '' }], { extraHeaders: [trust] });
  const n = await bob.nextNotify(5000, (m) => m.body.toString().includes('<subscribers'));
  expect(n.body.toString()).toContain('<subscriber user="carol@contoso.com" displayName="Carol" acknowledged="false" type="federated"/>');
});
