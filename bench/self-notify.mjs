// Two endpoints of one user: endpoint A publishes, endpoint B's self dialog is notified. Measures
// publish-to-notify latency (SERVICE sent by A -> BENOTIFY received by B) over real TCP sockets.
// node bench/self-notify.mjs [--mode embedded|clustered] [--count 500]
import { parseArgs } from 'node:util';
import { aggregation } from '../services/aggregation/dist/index.js';
import { federation } from '../services/federation/dist/index.js';
import { publication } from '../services/publication/dist/index.js';
import { startProcess } from '../libs/runtime/dist/index.js';
import { sipEdge } from '../services/sip-edge/dist/index.js';
import { subscription } from '../services/subscription/dist/index.js';
import { randomToken } from '../libs/sip/dist/index.js';
import { BENCH_LIMITS, percentile, writeResults } from './common.mjs';
import { endpoint, PUBLISH_TYPE } from './sip-client.mjs';

const { values: o } = parseArgs({ options: { mode: { type: 'string', default: 'embedded' }, count: { type: 'string', default: '500' } } });
const count = Number(o.count);
const pool = `bench${randomToken(3)}`;
const proc = await startProcess({
  processName: 'bench',
  mode: o.mode,
  services: [publication, aggregation, subscription, federation, sipEdge],
  env: { ...process.env, ...BENCH_LIMITS, HTTP_PORT: '0', SIP_PORT: '0', SIP_TLS_PORT: '0', XMPP_PORT: '0', SIP_HOST: '127.0.0.1', LOG_LEVEL: 'silent', POOL_ID: pool, INSTANCE_ID: `edge-${pool}`, PRESENCE_AUTH: 'none', PRESENCE_USERS_FILE: 'config/dev-users.json' },
});
const port = proc.services.find((s) => 'ports' in s).ports.tcp;
const user = 'sip:bob@contoso.com';

const a = await endpoint(port, user, 'epA');
const b = await endpoint(port, user, 'epB');
await a.request('REGISTER', []);
await b.request('REGISTER', []);
await new Promise((r) => setTimeout(r, 500)); // server publications of the sign-in
const sub = await b.request('SUBSCRIBE', [
  { name: 'Event', value: 'vnd-microsoft-roaming-self' }, { name: 'Accept', value: 'application/vnd-microsoft-roaming-self+xml' },
  { name: 'Supported', value: 'ms-benotify, ms-piggyback-first-notify' }, { name: 'Content-Type', value: 'application/vnd-microsoft-roaming-self+xml' }],
  '<roamingList xmlns="http://schemas.microsoft.com/2006/09/sip/roaming-self"><roaming type="categories"/></roamingList>');
if (sub.status !== 200) throw new Error(`self SUBSCRIBE got ${sub.status}`);

const latencies = [];
const t0 = Date.now();
for (let i = 0; i < count; i++) {
  const body = `<publish xmlns="http://schemas.microsoft.com/2006/09/sip/rich-presence"><publications uri="${user}"><publication categoryName="note" instance="0" container="400" version="${i}" expireType="static"><note xmlns="http://schemas.microsoft.com/2006/09/sip/note"><body type="personal" uri="">n${i}</body></note></publication></publications></publish>`;
  const marker = `>n${i}<`;
  const started = performance.now();
  const notified = b.next((m) => m.type === 'request' && m.method === 'BENOTIFY' && m.body.toString().includes(marker));
  const res = await a.request('SERVICE', PUBLISH_TYPE, body);
  if (res.status !== 200) throw new Error(`publish ${i} got ${res.status}`);
  await notified;
  latencies.push(performance.now() - started);
}
const secs = (Date.now() - t0) / 1000;
latencies.sort((x, y) => x - y);
a.close();
b.close();
if (o.mode === 'clustered') {
  const redis = proc.adapters.store.redis;
  const keys = await redis.keys(`pres:${pool}:*`);
  if (keys.length) await redis.del(...keys);
}
await proc.shutdown();
writeResults(`self-notify-${o.mode}`, {
  mode: o.mode,
  publishes: count,
  publishesPerSecond: Math.round(count / secs),
  publishToOtherEndpointMs: { p50: +percentile(latencies, 50).toFixed(2), p99: +percentile(latencies, 99).toFixed(2), max: +latencies.at(-1).toFixed(2) },
});
process.exit(0);
