// PIDF fan-out: one standard client publishes PIDF (RFC 3903, modifies with SIP-If-Match) and W
// standard watchers hold PIDF subscriptions on it ([MS-PRES] §3.7). The publisher alternates busy
// and away K times; every dialog must get each change exactly once and in order. Reports
// notifications/s and publish-to-last-NOTIFY latency (the PUBLISH goes through aggregation and
// legacyInterop before the federation service fans it out).
// node bench/pidf-fanout.mjs [--mode embedded|clustered] [--watchers 1000] [--changes 10]
import { parseArgs } from 'node:util';
import { aggregation } from '../services/aggregation/dist/index.js';
import { federation } from '../services/federation/dist/index.js';
import { publication } from '../services/publication/dist/index.js';
import { startProcess } from '../libs/runtime/dist/index.js';
import { sipEdge } from '../services/sip-edge/dist/index.js';
import { subscription } from '../services/subscription/dist/index.js';
import { getHeader, randomToken } from '../libs/sip/dist/index.js';
import { BENCH_LIMITS, percentile, writeResults } from './common.mjs';
import { endpoint } from './sip-client.mjs';

const { values: o } = parseArgs({ options: { mode: { type: 'string', default: 'embedded' }, watchers: { type: 'string', default: '1000' }, changes: { type: 'string', default: '10' } } });
const W = Number(o.watchers);
const K = Number(o.changes);
const pool = `pidf${randomToken(3)}`;
const env = { ...process.env, ...BENCH_LIMITS, SIP_PORT: '0', SIP_TLS_PORT: '0', XMPP_PORT: '0', SIP_HOST: '127.0.0.1', LOG_LEVEL: 'error', POOL_ID: pool, PRESENCE_AUTH: 'none', PRESENCE_USERS_FILE: 'config/dev-users.json' };
const proc = await startProcess({ processName: 'bench', mode: o.mode, services: [publication, aggregation, subscription, federation, sipEdge], env: { ...env, HTTP_PORT: '0', INSTANCE_ID: `edge-${pool}` } });
const port = proc.services.find((s) => 'ports' in s).ports.tcp;
const publisher = 'sip:carol@contoso.com';
const pub = await endpoint(port, publisher, 'pidfpub');
const doc = (activity) =>
  `<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="${publisher}"><tuple id="t"><status><basic>open</basic></status></tuple><dm:person id="p"><rpid:activities><rpid:${activity}/></rpid:activities></dm:person></presence>`;
const activityOf = (body) => /<ep:activity>([^<]+)</.exec(body)?.[1];
let etag;
const publish = async (activity) => {
  const res = await pub.request('PUBLISH', [{ name: 'Event', value: 'presence' }, { name: 'Content-Type', value: 'application/pidf+xml' }, ...(etag ? [{ name: 'SIP-If-Match', value: etag }] : [])], doc(activity));
  if (res.status !== 200) throw new Error(`PUBLISH got ${res.status}`);
  etag = getHeader(res, 'SIP-ETag');
};
await publish('busy');

const received = new Map(); // dialog -> [{cseq, activity, at}]
const open = [];
const t0Setup = Date.now();
for (let i = 0; i < W; i += 50) {
  await Promise.all(
    Array.from({ length: Math.min(50, W - i) }, async (_, j) => {
      const ep = await endpoint(port, `sip:p${i + j}@contoso.com`, `e${i + j}`);
      const callId = randomToken(8);
      const log = [];
      received.set(callId, log);
      ep.onRequest((m) => {
        if (m.method !== 'NOTIFY') return false;
        ep.reply200(m);
        log.push({ cseq: Number(getHeader(m, 'CSeq').split(' ')[0]), activity: activityOf(m.body.toString()), at: performance.now() });
        return true;
      });
      const res = await ep.request('SUBSCRIBE', [{ name: 'Event', value: 'presence' }, { name: 'Accept', value: 'application/pidf+xml' }], '', { callId, to: publisher });
      if (res.status !== 200) throw new Error(`SUBSCRIBE got ${res.status}`);
      open.push(ep);
    }),
  );
}
// Every dialog has its first NOTIFY (busy) before the changes start.
while ([...received.values()].some((log) => log.length === 0)) await new Promise((r) => setTimeout(r, 5));
const setupS = (Date.now() - t0Setup) / 1000;

const latencies = [];
const t0 = performance.now();
for (let k = 1; k <= K; k++) {
  const activity = k % 2 === 1 ? 'away' : 'busy';
  const started = performance.now();
  await publish(activity);
  const deadline = Date.now() + 60_000;
  while ([...received.values()].some((log) => log.length < k + 1)) {
    if (Date.now() > deadline) throw new Error(`change ${k} did not reach every dialog within 60 s`);
    await new Promise((r) => setTimeout(r, 5));
  }
  latencies.push(Math.max(...[...received.values()].map((log) => log[k].at)) - started);
}
const totalS = (performance.now() - t0) / 1000;
await new Promise((r) => setTimeout(r, 500));

let wrong = 0;
let outOfOrder = 0;
for (const log of received.values()) {
  if (log.length !== K + 1 || log.some((x, i) => x.activity !== (i % 2 === 1 ? 'away' : 'busy'))) wrong++;
  for (let i = 1; i < log.length; i++) if (log[i].cseq <= log[i - 1].cseq) outOfOrder++;
}
latencies.sort((a, b) => a - b);
for (const ep of open) ep.close();
pub.close();
if (o.mode === 'clustered') {
  const redis = proc.adapters.store.redis;
  const keys = await redis.keys(`pres:${pool}:*`);
  for (let i = 0; i < keys.length; i += 1000) await redis.del(...keys.slice(i, i + 1000));
}
await proc.shutdown();
writeResults(`pidf-fanout-${o.mode}-${W}`, {
  mode: o.mode,
  watchers: W,
  changes: K,
  setupSeconds: +setupS.toFixed(1),
  notifications: W * K,
  notificationsPerSecond: Math.round((W * K) / totalS),
  publishToLastNotifyMs: { p50: +percentile(latencies, 50).toFixed(1), p99: +percentile(latencies, 99).toFixed(1) },
  dialogsWithMissingWrongOrDuplicate: wrong,
  outOfOrderNotifications: outOfOrder,
});
process.exit(wrong + outOfOrder === 0 ? 0 : 1);
