import { fc } from '@fast-check/vitest';
import { randomToken, type SipHeader, type SipRequest, type SipResponse } from '@presence/sip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LyncClient } from './support/lync-client.js';
import { TestClient } from './support/sip-client.js';
import { startWorld, type World } from './support/world.js';

const BOB = 'sip:bob@contoso.com';
const ALICE = 'sip:alice@contoso.com';
const RUNS = Number(process.env.FUZZ_RUNS ?? 3000);

/** Values that broke handlers before (issue 12 item 9) and their kin: prototype keys, bad escapes, odd numbers. */
const NASTY = [
  'constructor',
  '__proto__',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'sip:%E0%A4%A@contoso.com',
  '<sip:%E0%A4%A@contoso.com>',
  '%',
  '%zz',
  '',
  ' ',
  '-1',
  '0',
  '4294967296',
  '99999999999999999999999',
  'NaN',
  'Infinity',
  '1e400',
  '<',
  '>',
  '"',
  '&amp;',
  '&#0;',
  ']]>',
  'sip:',
  'sips:@',
  '\u00ff\u00fe',
  'é',
  'a'.repeat(300),
  'application/msrtc-category-publish+xml;charset=constructor',
  'presence;id=__proto__',
  'adhoclist, categoryList, __proto__',
];
const nasty = fc.constantFrom(...NASTY);

/** One edit of a request as a client would have sent it. */
type Mutation = (r: SipRequest, pick: number) => SipRequest;

const setHeader = (name: string, value: string): Mutation => (r) => ({ ...r, headers: [...r.headers.filter((h) => h.name !== name), { name, value }] });
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  // A header's value replaced (Call-ID, CSeq and Via kept: the answer must find its way back).
  fc.tuple(nasty, fc.nat()).map(([v, i]): Mutation => (r) => {
    const editable = r.headers.map((h, k) => [h, k] as const).filter(([h]) => !['Via', 'Call-ID', 'CSeq'].includes(h.name));
    if (editable.length === 0) return r;
    const k = editable[i % editable.length]![1];
    return { ...r, headers: r.headers.map((h, j): SipHeader => (j === k ? { name: h.name, value: v } : h)) };
  }),
  fc.tuple(fc.constantFrom('Content-Type', 'Event', 'Accept', 'Require', 'Expires', 'Supported', 'To', 'From', 'Contact'), nasty).map(([n, v]) => setHeader(n, n === 'From' || n === 'To' ? `<${BOB}>;tag=${v}` : v)),
  fc.tuple(fc.constantFrom('Content-Type', 'Event', 'Accept', 'Require', 'Contact', 'Expires'), fc.nat()).map(([n]): Mutation => (r) => ({ ...r, headers: r.headers.filter((h) => h.name !== n) })),
  nasty.map((v): Mutation => (r) => ({ ...r, uri: v.startsWith('sip') ? v : `sip:${v}@contoso.com` })),
  // The body: a nasty value put in place of an attribute value, text inserted, or cut short.
  fc.tuple(nasty, fc.nat()).map(([v, i]): Mutation => (r) => {
    const body = r.body.toString('utf8');
    const attrs = [...body.matchAll(/="([^"]*)"/g)];
    if (attrs.length === 0) return r;
    const m = attrs[i % attrs.length]!;
    return { ...r, body: Buffer.from(body.slice(0, m.index) + `="${v.replace(/"/g, '&quot;')}"` + body.slice(m.index! + m[0].length)) };
  }),
  fc.tuple(fc.constantFrom('<x>', '</', '<?xml?>', '<!DOCTYPE a [<!ENTITY x "y">]>', '&x;', '<a xmlns="">', '\u0000', ...NASTY), fc.nat()).map(([v, i]): Mutation => (r) => {
    const b = r.body.toString('utf8');
    const at = b.length === 0 ? 0 : i % b.length;
    return { ...r, body: Buffer.from(b.slice(0, at) + v + b.slice(at)) };
  }),
  fc.nat().map((i): Mutation => (r) => ({ ...r, body: r.body.subarray(0, r.body.length === 0 ? 0 : i % r.body.length) })),
);

describe('whole-server fuzz: mutated client requests through the embedded server never get a 500', () => {
  let w: World;
  const seeds: SipRequest[] = [];
  const rejections: unknown[] = [];
  const onRejection = (e: unknown) => rejections.push(e);

  beforeAll(async () => {
    process.on('unhandledRejection', onRejection);
    // The fuzzer is one user sending thousands of requests: the per-user rate limit is lifted for it.
    w = await startWorld({ mode: 'embedded', env: { SIP_USER_REQUESTS_PER_S: '1000000', SIP_USER_BURST: '1000000' } });
    // The seeds: what a Lync client really sends at sign-in and after, recorded on the wire.
    const alice = await LyncClient.connect(w.ports.tcp, ALICE);
    await alice.register();
    const bob = await LyncClient.connect(w.ports.tcp, BOB);
    const send = bob.sip.request.bind(bob.sip);
    bob.sip.request = (req: SipRequest, t?: number): Promise<SipResponse> => {
      seeds.push(req);
      return send(req, t);
    };
    await bob.register();
    await bob.selfSubscribe();
    const note = `<publish xmlns="http://schemas.microsoft.com/2006/09/sip/rich-presence"><publications uri="${BOB}"><publication categoryName="note" instance="0" container="400" version="0" expireType="static"><note xmlns="http://schemas.microsoft.com/2006/09/sip/note"><body type="personal" uri="">hi</body></note></publication></publications></publish>`;
    await bob.service('application/msrtc-category-publish+xml', note);
    await bob.service(
      'application/msrtc-setcontainermembers+xml',
      `<setContainerMembers xmlns="http://schemas.microsoft.com/2006/09/sip/container-management" container="200" version="0"><delta><add type="sameEnterprise"/></delta></setContainerMembers>`,
    );
    await bob.service(
      'application/msrtc-presence-setsubscriber+xml',
      `<setSubscribers xmlns="http://schemas.microsoft.com/2006/09/sip/presence-subscribers"><subscriber user="alice@contoso.com" acknowledged="true"/></setSubscribers>`,
    );
    await bob.categorySubscribe([{ uri: ALICE }, { uri: 'sip:carol@contoso.com' }]);
    await bob.categorySubscribe([{ uri: ALICE }], { single: true, to: ALICE });
    for (const event of ['vnd-microsoft-roaming-contacts', 'vnd-microsoft-provisioning-v2']) await bob.request('SUBSCRIBE', { headers: [{ name: 'Event', value: event }, { name: 'Accept', value: `application/${event}+xml` }] });
    await bob.request('PUBLISH', { headers: [{ name: 'Event', value: 'presence' }, { name: 'Content-Type', value: 'application/pidf+xml' }], body: '<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:bob@contoso.com"/>' });
    await bob.service(
      'application/SOAP+xml',
      `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><m:setContact xmlns:m="http://schemas.microsoft.com/winrtc/2002/11/sip"><m:displayName>Alice</m:displayName><m:groups>1</m:groups><m:subscribed>true</m:subscribed><m:URI>sip:alice@contoso.com</m:URI><m:externalURI/><m:deltaNum>1</m:deltaNum></m:setContact></s:Body></s:Envelope>`,
    );
    alice.close();
    bob.close();
  });
  afterAll(async () => {
    process.off('unhandledRejection', onRejection);
    await w.stop();
  });

  it(`answers ${RUNS} mutated requests with anything but 500, has no unhandled rejection, and still serves`, async () => {
    expect(seeds.length).toBeGreaterThanOrEqual(10);
    const cases = fc.sample(fc.tuple(fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 3 })), { numRuns: RUNS, seed: Number(process.env.FUZZ_SEED ?? 12) });
    let c = await TestClient.tcp(w.ports.tcp);
    const statuses = new Map<number, number>();
    for (const [k, [seedIndex, edits]] of cases.entries()) {
      const seed = seeds[seedIndex % seeds.length]!;
      // A fresh transaction each time (new branch, Call-ID and CSeq), on the fuzzing connection.
      const fresh: SipRequest = {
        ...seed,
        headers: seed.headers.map((h) =>
          h.name === 'Via'
            ? { name: 'Via', value: `SIP/2.0/TCP ${c.local.address}:${c.local.port};branch=z9hG4bK${randomToken()}` }
            : h.name === 'Call-ID'
              ? { name: 'Call-ID', value: `fuzz-${k}-${randomToken(6)}` }
              : h.name === 'CSeq'
                ? { name: 'CSeq', value: `${k + 1} ${seed.method}` }
                : h,
        ),
      };
      const req = edits.reduce((r, edit) => edit(r, k), fresh);
      const res = await c.request(req, 10_000).catch((e: unknown) => {
        throw new Error(`no answer to case ${k} (closed=${c.closed}): ${(e as Error).message}\n${req.method} ${req.uri}\n${req.headers.map((h) => `${h.name}: ${h.value}`).join('\n')}\n\n${req.body.toString()}`);
      });
      if (res.status === 500) {
        expect.fail(`case ${k} got ${res.status} ${res.reason}:\n${req.method} ${req.uri}\n${req.headers.map((h) => `${h.name}: ${h.value}`).join('\n')}\n\n${req.body.toString()}`);
      }
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      c.received.length = 0; // notifications to the fuzzing connection are not looked at
      if (c.closed) c = await TestClient.tcp(w.ports.tcp);
    }
    // The mutations do reach the services: some are refused there, some accepted.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(50);
    expect([...statuses.keys()].filter((s) => s >= 400).length).toBeGreaterThan(3);
    expect(rejections).toEqual([]);
    const o = await TestClient.tcp(w.ports.tcp);
    const { buildRequest } = await import('./support/sip-client.js');
    expect((await o.request(buildRequest(o, { method: 'OPTIONS' }))).status).toBe(200);
    o.close();
    c.close();
  }, 120_000);
});
