// Fan-out: one publisher, W watchers with C connections (endpoints) each, every endpoint holding a
// batch category dialog on the publisher. The publisher makes K changes; every dialog must get each
// change exactly once and in order. Clustered mode runs a second subscription-service instance as its
// own process. Reports notifications/s and publish-to-last-notify latency.
// node bench/fanout.mjs [--mode clustered|embedded] [--watchers 2000] [--connections 2] [--changes 10]
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { aggregation } from '../services/aggregation/dist/index.js';
import { federation } from '../services/federation/dist/index.js';
import { publication } from '../services/publication/dist/index.js';
import { startProcess } from '../libs/runtime/dist/index.js';
import { sipEdge } from '../services/sip-edge/dist/index.js';
import { subscription } from '../services/subscription/dist/index.js';
import { getHeader, randomToken } from '../libs/sip/dist/index.js';
import { BENCH_LIMITS, percentile, writeResults } from './common.mjs';
import { endpoint, notePublish, PUBLISH_TYPE } from './sip-client.mjs';

const { values: o } = parseArgs({
  options: { mode: { type: 'string', default: 'clustered' }, watchers: { type: 'string', default: '2000' }, connections: { type: 'string', default: '2' }, changes: { type: 'string', default: '10' } },
});
const W = Number(o.watchers);
const C = Number(o.connections);
const K = Number(o.changes);
const pool = `fan${randomToken(3)}`;
const env = {
  ...process.env,
  ...BENCH_LIMITS,
  SIP_PORT: '0',
  SIP_TLS_PORT: '0',
  XMPP_PORT: '0',
  SIP_HOST: '127.0.0.1',
  LOG_LEVEL: 'error',
  POOL_ID: pool,
  PRESENCE_AUTH: 'none',
  PRESENCE_USERS_FILE: 'config/dev-users.json',
};
const proc = await startProcess({ processName: 'bench', mode: o.mode, services: [publication, aggregation, subscription, federation, sipEdge], env: { ...env, HTTP_PORT: '0', INSTANCE_ID: `edge-${pool}` } });
let second;
if (o.mode === 'clustered') {
  second = spawn(process.execPath, ['services/subscription/dist/main.js'], { env: { ...env, HTTP_PORT: '0', INSTANCE_ID: `sub2-${pool}` }, stdio: 'inherit' });
  await new Promise((r) => setTimeout(r, 1500));
}
const port = proc.services.find((s) => 'ports' in s).ports.tcp;
const publisher = 'sip:bob@contoso.com';
const pub = await endpoint(port, publisher, 'pubep');
await pub.request('REGISTER', []);

// Watchers: W users × C endpoints, each with a batch dialog on the publisher.
const received = new Map(); // dialog -> [{cseq, n, at}]
const dialogsOpen = [];
const t0Setup = Date.now();
for (let i = 0; i < W; i += 50) {
  await Promise.all(
    Array.from({ length: Math.min(50, W - i) * C }, async (_, j) => {
      const user = `sip:w${i + Math.floor(j / C)}@contoso.com`;
      const ep = await endpoint(port, user, `e${j % C}`);
      const callId = randomToken(8);
      const log = [];
      received.set(callId, log);
      ep.onRequest((m) => {
        if (m.method !== 'NOTIFY' && m.method !== 'BENOTIFY') return false;
        if (m.method === 'NOTIFY') ep.reply200(m);
        const n = /">n(\d+)</.exec(m.body.toString());
        if (n) log.push({ cseq: Number(getHeader(m, 'CSeq').split(' ')[0]), n: Number(n[1]), at: performance.now() });
        return true;
      });
      const res = await ep.request(
        'SUBSCRIBE',
        [
          { name: 'Event', value: 'presence' },
          { name: 'Accept', value: 'application/msrtc-event-categories+xml, application/rlmi+xml, multipart/related' },
          { name: 'Supported', value: 'ms-benotify, ms-piggyback-first-notify' },
          { name: 'Require', value: 'adhoclist, categoryList' },
          { name: 'Content-Type', value: 'application/msrtc-adrl-categorylist+xml' },
        ],
        `<batchSub xmlns="http://schemas.microsoft.com/2006/01/sip/batch-subscribe" uri="${user}" name=""><action name="subscribe" id="1"><adhocList><resource uri="${publisher}"/></adhocList><categoryList xmlns="http://schemas.microsoft.com/2006/09/sip/categorylist"><category name="note"/></categoryList></action></batchSub>`,
        { callId },
      );
      if (res.status !== 200) throw new Error(`SUBSCRIBE got ${res.status}`);
      dialogsOpen.push(ep);
    }),
  );
}
const setupS = (Date.now() - t0Setup) / 1000;
const D = W * C;

// K changes, one at a time: each waits until every dialog got it.
const latencies = [];
const t0 = performance.now();
for (let k = 0; k < K; k++) {
  const started = performance.now();
  const res = await pub.request('SERVICE', PUBLISH_TYPE, notePublish(publisher, k, `n${k}`));
  if (res.status !== 200) throw new Error(`publish ${k} got ${res.status}`);
  const deadline = Date.now() + 60_000;
  while ([...received.values()].some((log) => !log.some((x) => x.n === k))) {
    if (Date.now() > deadline) throw new Error(`change ${k} did not reach every dialog within 60 s`);
    await new Promise((r) => setTimeout(r, 5));
  }
  const last = Math.max(...[...received.values()].map((log) => log.find((x) => x.n === k).at));
  latencies.push(last - started);
}
const totalS = (performance.now() - t0) / 1000;
await new Promise((r) => setTimeout(r, 500));

// Exactly once and in order, on every dialog.
let duplicates = 0;
let outOfOrder = 0;
for (const log of received.values()) {
  const ns = log.map((x) => x.n);
  if (new Set(ns).size !== ns.length || ns.length !== K) duplicates++;
  for (let i = 1; i < log.length; i++) if (log[i].cseq <= log[i - 1].cseq || log[i].n <= log[i - 1].n) outOfOrder++;
}
latencies.sort((a, b) => a - b);
for (const ep of dialogsOpen) ep.close();
pub.close();
second?.kill('SIGTERM');
if (o.mode === 'clustered') {
  const redis = proc.adapters.store.redis;
  const keys = await redis.keys(`pres:${pool}:*`);
  for (let i = 0; i < keys.length; i += 1000) await redis.del(...keys.slice(i, i + 1000));
}
await proc.shutdown();
writeResults(`fanout-${o.mode}-${W}x${C}`, {
  mode: o.mode,
  subscriptionInstances: o.mode === 'clustered' ? 2 : 1,
  watchers: W,
  connectionsEach: C,
  dialogs: D,
  changes: K,
  setupSeconds: +setupS.toFixed(1),
  notifications: D * K,
  notificationsPerSecond: Math.round((D * K) / totalS),
  publishToLastNotifyMs: { p50: +percentile(latencies, 50).toFixed(1), p99: +percentile(latencies, 99).toFixed(1) },
  dialogsWithMissingOrDuplicate: duplicates,
  outOfOrderNotifications: outOfOrder,
});
process.exit(duplicates + outOfOrder === 0 ? 0 : 1);
