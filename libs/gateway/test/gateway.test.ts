import {
  edgeEndEndpoint,
  edgeSend,
  edgeSendBatch,
  endpointGone,
  endpointRegistered,
  MemoryBus,
  MemoryNetwork,
  notifyOutcome,
  sipRequestCommands,
  type EdgeEndEndpoint,
  type EdgeSendRequest,
  type EndpointGone,
  type NotifyOutcome,
  type SipReply,
  type SipRequestCommand,
} from '@presence/bus';
import type { Pools } from '@presence/runtime';
import { getRecord, listRecords, MemoryStore, registrations } from '@presence/state';
import { afterEach, describe, expect, it } from 'vitest';
import { CategoryWatch, endpointOwners, GatewayRegistrar, GatewayRequests, readNotification, serveGatewayEdge, type GatewayConnections } from '../src/index.js';
import { recordingLogger } from '../../../test/support/recording-logger.js';

const ALICE = 'sip:alice@contoso.com';
const BOB = 'sip:bob@contoso.com';
const CAROL = 'sip:carol@contoso.com';
/** Two pools: carol lives in p2, everyone else in p1. */
const pools: Pools = {
  all: [
    { id: 'p1', fqdn: 'p1.contoso.com' },
    { id: 'p2', fqdn: 'p2.contoso.com' },
  ],
  home: async (aor) => (aor === CAROL ? 'p2' : 'p1'),
  setHome: async () => undefined,
  gruu: (id) => `sip:${id}.contoso.com@contoso.com;gruu;opaque=srvr:HomeServer:${id}`,
  ofUri: () => undefined,
};
const sender = { user: ALICE, epid: 'xepid1', connectionId: 'c1' };
const header = (r: SipRequestCommand, name: string) => r.headers.filter((h) => h.name === name).map((h) => h.value);
const until = async (f: () => boolean, ms = 2000) => {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 5));
  }
};

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});
function world() {
  const network = new MemoryNetwork({ ackWaitMs: 1000 });
  const bus = new MemoryBus(network, { requestTimeoutMs: 500 });
  closers.push(() => bus.close());
  return { network, bus, store: new MemoryStore() };
}

/** A subscription service double in both pools: records requests, answers 200 with a To tag (or `answer`). */
async function subscriptionDouble(bus: MemoryBus, answer: (r: SipRequestCommand, pool: string) => SipReply = () => ({ status: 200, toTag: 'tt' })) {
  const seen: { pool: string; req: SipRequestCommand }[] = [];
  for (const pool of ['p1', 'p2']) {
    await bus.handle(sipRequestCommands.subscription, pool, (req) => {
      seen.push({ pool, req });
      return answer(req, pool);
    });
  }
  return seen;
}

describe('readNotification (RFC 6665 §4.1.3)', () => {
  it('reads the event package without parameters, a terminated Subscription-State and the Call-ID', () => {
    expect(readNotification([{ name: 'Event', value: 'Presence;id=7' }, { name: 'subscription-state', value: 'terminated;reason=deactivated' }, { name: 'Call-ID', value: 'abc' }, { name: 'Content-Type', value: 'x/y' }], 'b')).toEqual({
      event: 'presence',
      terminated: true,
      callId: 'abc',
      contentType: 'x/y',
      body: 'b',
    });
    expect(readNotification([{ name: 'Subscription-State', value: 'active;expires=60' }], '')).toMatchObject({ event: '', terminated: false, callId: '' });
  });
});

describe('GatewayRequests: synthesized SIP requests as the SIP edge hands a client’s to the services', () => {
  it('writes From with tag and epid, To, Call-ID, CSeq, the GRUU Contact, the gateway’s transport and a budget under its timeout', async () => {
    const { bus } = world();
    const seen = await subscriptionDouble(bus);
    const r = new GatewayRequests({ bus, pools, edgeId: 'xmpp-1', transport: 'xmpp', userAgent: 'presence-xmpp', requestTimeoutMs: 1000 });
    await r.service('subscription', sender, 'application/SOAP+xml', '<x/>');
    const req = seen[0]!.req;
    expect(seen[0]!.pool).toBe('p1');
    expect(req).toMatchObject({ method: 'SERVICE', uri: ALICE, body: '<x/>', user: ALICE, epid: 'xepid1', edgeId: 'xmpp-1', connectionId: 'c1', transport: 'xmpp', budgetMs: 750 });
    expect(header(req, 'From')[0]).toMatch(/^<sip:alice@contoso\.com>;tag=[\w-]+;epid=xepid1$/);
    expect(header(req, 'To')).toEqual([`<${ALICE}>`]);
    expect(header(req, 'CSeq')).toEqual(['1 SERVICE']);
    expect(header(req, 'Contact')).toEqual([`<${ALICE};opaque=user:epid:xepid1;gruu>`]);
    expect(header(req, 'Content-Type')).toEqual(['application/SOAP+xml']);
    expect(header(req, 'User-Agent')).toEqual(['presence-xmpp']);
  });

  it('subscribes at the own pool by the user’s URI and elsewhere by the pool GRUU ([MS-PRES] §3.4.5.1.3.1); refreshes and ends within the dialog (RFC 6665 §4.1.2)', async () => {
    const { bus } = world();
    const seen = await subscriptionDouble(bus);
    const r = new GatewayRequests({ bus, pools, edgeId: 'web-1', transport: 'web', userAgent: 'presence-web', requestTimeoutMs: 1000 });
    const first = await r.subscribeCategories(sender, { pool: 'p2', resources: [CAROL], categories: ['state'], expires: 600 });
    expect(first.dialog).toMatchObject({ toTag: 'tt', pool: 'p2', cseq: 1 });
    const created = seen[0]!;
    expect(created.pool).toBe('p2');
    expect(created.req.uri).toBe(pools.gruu('p2'));
    expect(header(created.req, 'Event')).toEqual(['presence']);
    expect(header(created.req, 'Expires')).toEqual(['600']);
    expect(header(created.req, 'Require')).toEqual(['adhoclist, categoryList']);
    expect(created.req.body).toContain('<resource uri="sip:carol@contoso.com"/>');
    await r.subscribeCategories(sender, { pool: 'p2', resources: [CAROL], categories: ['state'], expires: 600, dialog: first.dialog });
    await r.unsubscribe(sender, 'presence', first.dialog!);
    const [refresh, end] = [seen[1]!.req, seen[2]!.req];
    expect(header(refresh, 'Call-ID')).toEqual(header(created.req, 'Call-ID'));
    expect(header(refresh, 'CSeq')).toEqual(['2 SUBSCRIBE']);
    expect(header(refresh, 'To')).toEqual([`<${ALICE}>;tag=tt`]);
    expect(header(end, 'CSeq')).toEqual(['3 SUBSCRIBE']);
    expect(header(end, 'Expires')).toEqual(['0']);
    expect(end.body).toBe('');
    expect(header(end, 'Require')).toEqual([]);
    const own = await r.subscribeContacts(sender, 600);
    expect(seen[3]!.req.uri).toBe(ALICE);
    expect(header(seen[3]!.req, 'Event')).toEqual(['vnd-microsoft-roaming-contacts']);
    expect(own.dialog?.pool).toBe('p1');
  });

  it('asks again with the Min-Expires of a 423 (RFC 3261 §10.2.8), once, and keeps the dialog the second answer makes', async () => {
    const { bus } = world();
    const seen = await subscriptionDouble(bus, (req) =>
      Number(header(req, 'Expires')[0]) < 1200 ? { status: 423, headers: [{ name: 'Min-Expires', value: '1200' }] } : { status: 200, toTag: 'tt' },
    );
    const r = new GatewayRequests({ bus, pools, edgeId: 'web-1', transport: 'web', userAgent: 'presence-web', requestTimeoutMs: 1000 });
    const got = await r.subscribeCategories(sender, { pool: 'p1', resources: [BOB], categories: ['state'], expires: 600 });
    expect(got.reply.status).toBe(200);
    expect(got.dialog).toMatchObject({ toTag: 'tt', cseq: 2 });
    expect(seen.map((x) => header(x.req, 'Expires')[0])).toEqual(['600', '1200']);
    expect(seen.map((x) => header(x.req, 'CSeq')[0])).toEqual(['1 SUBSCRIBE', '2 SUBSCRIBE']);
    expect(header(seen[1]!.req, 'Call-ID')).toEqual(header(seen[0]!.req, 'Call-ID'));
    // A server that keeps refusing is not asked a third time.
    const stubborn = world();
    const again = await subscriptionDouble(stubborn.bus, () => ({ status: 423, headers: [{ name: 'Min-Expires', value: '99999' }] }));
    const r2 = new GatewayRequests({ bus: stubborn.bus, pools, edgeId: 'web-1', transport: 'web', userAgent: 'presence-web', requestTimeoutMs: 1000 });
    expect((await r2.subscribeContacts(sender, 600)).reply.status).toBe(423);
    expect(again).toHaveLength(2);
  });
});

describe('CategoryWatch: one batch dialog per pool ([MS-PRES] §3.4.5.1.1)', () => {
  it('subscribes each resource in its home pool’s dialog, refreshes each dialog with all it watches, forgets an ended one', async () => {
    const { bus } = world();
    let refuse = false;
    const seen = await subscriptionDouble(bus, () => (refuse ? { status: 403 } : { status: 200, toTag: 'tt' }));
    const refused: string[] = [];
    const w = new CategoryWatch(new GatewayRequests({ bus, pools, edgeId: 'e', transport: 'web', userAgent: 'u', requestTimeoutMs: 1000 }), sender, { categories: ['state'], expiresS: 60, onRefused: (pool) => refused.push(pool) });
    expect(await w.change('unsubscribe', [BOB])).toEqual([]);
    expect(seen).toHaveLength(0);
    await w.change('subscribe', [BOB, CAROL]);
    await w.change('subscribe', ['sip:dave@contoso.com']);
    expect(seen.map((s) => [s.pool, header(s.req, 'CSeq')[0]])).toEqual([
      ['p1', '1 SUBSCRIBE'],
      ['p2', '1 SUBSCRIBE'],
      ['p1', '2 SUBSCRIBE'],
    ]);
    seen.length = 0;
    expect(await w.refresh()).toBe(200);
    expect(seen.map((s) => [s.pool, (s.req.body.match(/resource uri="([^"]+)"/g) ?? []).join(' ')])).toEqual([
      ['p1', 'resource uri="sip:bob@contoso.com" resource uri="sip:dave@contoso.com"'],
      ['p2', 'resource uri="sip:carol@contoso.com"'],
    ]);
    const p2CallId = header(seen[1]!.req, 'Call-ID')[0]!;
    expect(w.ended(p2CallId)).toEqual([CAROL]);
    expect(w.ended(p2CallId)).toEqual([]);
    refuse = true;
    seen.length = 0;
    await w.change('subscribe', [CAROL]);
    expect(refused).toEqual(['p2']);
    refuse = false;
    seen.length = 0;
    await w.close();
    expect(seen.map((s) => [s.pool, header(s.req, 'Expires')[0]])).toEqual([['p1', '0']]);
    expect(w.active).toBe(false);
  });
});

describe('GatewayRegistrar and serveGatewayEdge: a gateway session is an endpoint', () => {
  const connections = () => {
    const calls = { delivered: [] as EdgeSendRequest[], ended: [] as EdgeEndEndpoint[] };
    const c: GatewayConnections = {
      deliver: (req) => (calls.delivered.push(req), req.connectionId === 'c1'),
      endEndpoint: (e) => (calls.ended.push(e), true),
    };
    return { c, calls };
  };

  it('registers with an owner record and announces it; ends only its own connection’s binding, then announces endpoint-gone', async () => {
    const { bus, store } = world();
    const registered: unknown[] = [];
    const gone: EndpointGone[] = [];
    await bus.consume(endpointRegistered, 'p1', 'publication', async (e) => void registered.push(e));
    await bus.consume(endpointGone, 'p1', 'publication', async (e) => void gone.push(e));
    const reg = new GatewayRegistrar({ store, bus, pools, edgeId: 'xmpp-1' });
    await reg.register({ user: ALICE, epid: 'x1', connectionId: 'c1', transport: 'xmpp', supported: ['ms-benotify'] }, 60);
    const p = { pool: 'p1', user: ALICE };
    expect((await listRecords(store, p, registrations)).map((r) => r.value)).toMatchObject([{ epid: 'x1', edgeId: 'xmpp-1', connectionId: 'c1', transport: 'xmpp', contact: `${ALICE};transport=xmpp` }]);
    expect((await getRecord(store, p, endpointOwners, 'x1'))?.value).toEqual({ epid: 'x1', transport: 'xmpp', edgeId: 'xmpp-1', connectionId: 'c1' });
    await until(() => registered.length === 1);
    expect(registered[0]).toMatchObject({ user: ALICE, epid: 'x1', firstEndpoint: true });
    expect(await reg.extend(ALICE, 'x1', 'other', 60)).toBe(false);
    expect(await reg.extend(ALICE, 'x1', 'c1', 60)).toBe(true);
    expect(await reg.end(ALICE, 'x1', 'connection-lost', 'other')).toBe(false);
    expect(await reg.alive(ALICE, 'x1')).toBe(true);
    expect(await reg.end(ALICE, 'x1', 'connection-lost', 'c1')).toBe(true);
    expect(await listRecords(store, p, endpointOwners)).toEqual([]);
    await until(() => gone.length === 1);
    expect(gone[0]).toMatchObject({ user: ALICE, epid: 'x1', reason: 'connection-lost', lastEndpoint: true });
  });

  it('answers a NOTIFY 200 or 481 (RFC 6665 §4.1.3) through notify-outcome, a BENOTIFY not at all; a batch item by item', async () => {
    const { bus, store } = world();
    const { logger } = recordingLogger();
    const { c, calls } = connections();
    const edge = await serveGatewayEdge({ bus, store, pools, edgeId: 'web-1', consumer: 'web', transport: 'web', logger, connections: c, requestTimeoutMs: 500 });
    closers.push(() => edge.stop());
    const outcomes: NotifyOutcome[] = [];
    await bus.consume(notifyOutcome, 'p1', 'subscription', async (o) => void outcomes.push(o));
    const notify = (connectionId: string, method: 'NOTIFY' | 'BENOTIFY', ref: string) => ({ pool: 'p1', connectionId, method, uri: ALICE, headers: [{ name: 'Call-ID', value: 'k' }], body: '', ref });
    expect(await bus.request(edgeSend, 'web-1', notify('c1', 'NOTIFY', 'r1'))).toEqual({ sent: true });
    expect(await bus.request(edgeSend, 'web-1', notify('gone', 'NOTIFY', 'r2'))).toEqual({ sent: false, reason: 'connection-gone' });
    expect(await bus.request(edgeSend, 'web-1', notify('gone', 'BENOTIFY', 'r3'))).toEqual({ sent: false, reason: 'connection-gone' });
    const { pool: _pool, body: _body, ...item } = notify('c1', 'BENOTIFY', 'r4');
    expect(await bus.request(edgeSendBatch, 'web-1', { pool: 'p1', bodies: ['x'], items: [{ ...item, body: 0 }, { ...item, connectionId: 'gone', ref: 'r5', body: 0 }] })).toEqual({ sent: [true, false] });
    await until(() => outcomes.length === 2);
    await new Promise((r) => setTimeout(r, 50));
    expect(outcomes.map((o) => [o.ref, o.status, o.edgeId, o.callId])).toEqual([
      ['r1', 200, 'web-1', 'k'],
      ['r2', 481, 'web-1', 'k'],
    ]);
    expect(calls.delivered.at(-2)?.body).toBe('x');
  });

  it('on endpoint-gone has the owning instance end the session (edge command end-endpoint), once, for its own transport only', async () => {
    const { network, bus, store } = world();
    const busB = new MemoryBus(network, { requestTimeoutMs: 500 });
    closers.push(() => busB.close());
    const { logger } = recordingLogger();
    const a = connections();
    const b = connections();
    // Instance A consumes every event (B does not consume), B holds the session: A asks B.
    const edgeA = await serveGatewayEdge({ bus, store, pools, edgeId: 'xmpp-a', consumer: 'xmpp-edge', transport: 'xmpp', logger, connections: a.c, requestTimeoutMs: 500 });
    closers.push(() => edgeA.stop());
    const endB = await busB.handle(edgeEndEndpoint, 'xmpp-b', (req) => ({ ended: b.c.endEndpoint(req) as boolean }));
    closers.push(() => endB.stop());
    const regB = new GatewayRegistrar({ store, bus: busB, pools, edgeId: 'xmpp-b' });
    await regB.register({ user: ALICE, epid: 'x1', connectionId: 'c9', transport: 'xmpp', supported: [] }, 60);
    const web = new GatewayRegistrar({ store, bus, pools, edgeId: 'web-1' });
    await web.register({ user: ALICE, epid: 'w1', connectionId: 's1', transport: 'web', supported: [] }, 60);
    // The SIP registrar replaces both (it removes the registrations, then announces).
    await store.apply({ pool: 'p1', user: ALICE }, [{ op: 'delete', collection: registrations.name, id: 'x1' }, { op: 'delete', collection: registrations.name, id: 'w1' }]);
    for (const epid of ['x1', 'w1']) await bus.publish(endpointGone, 'p1', { user: ALICE, epid, reason: 'replaced', lastEndpoint: false, at: 't' }, { msgId: `g-${epid}` });
    await until(() => b.calls.ended.length === 1);
    expect(b.calls.ended).toEqual([{ user: ALICE, epid: 'x1', connectionId: 'c9', reason: 'replaced' }]);
    expect(a.calls.ended).toEqual([]);
    await new Promise((r) => setTimeout(r, 100));
    expect((await listRecords(store, { pool: 'p1', user: ALICE }, endpointOwners)).map((r) => r.id)).toEqual(['w1']);
  });
});
