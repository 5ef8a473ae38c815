import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LyncClient } from './support/lync-client.js';
import { startWorld, type World } from './support/world.js';

/** Issue 12 item 9: each input that once gave 500 now gets its 4xx (or is refused inside a 200). */
describe('inputs that gave 500 before', () => {
  let w: World;
  let bob: LyncClient;
  beforeAll(async () => {
    w = await startWorld({ mode: 'embedded' });
    bob = await LyncClient.connect(w.ports.tcp, 'sip:bob@contoso.com');
    await bob.register();
  });
  afterAll(async () => {
    bob.close();
    await w.stop();
  });

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])('SERVICE with Content-Type %s: 415', async (type) => {
    expect((await bob.service(type, '<x/>')).status).toBe(415);
  });

  it.each(['constructor', '__proto__', 'toString'])('SUBSCRIBE with Event %s: 489 with Allow-Events', async (event) => {
    const res = await bob.request('SUBSCRIBE', { headers: [{ name: 'Event', value: event }] });
    expect(res.status).toBe(489);
  });

  it('a batch SUBSCRIBE naming sip:%E0%A4%A@contoso.com: no 500, the resource is refused and the others served', async () => {
    const res = await bob.categorySubscribe([{ uri: 'sip:%E0%A4%A@contoso.com' }, { uri: 'sip:alice@contoso.com' }]);
    expect(res.status).toBe(200);
    const body = res.body.toString();
    expect(body).toContain('<resource uri="sip:%E0%A4%A@contoso.com"><instance id="0" state="resubscribe" cid="%E0%A4%A@contoso.com"/></resource>');
    expect(body).toContain('sip:alice@contoso.com');
  });
});
