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
