// REGISTER/s through the SIP edge over TCP: C client connections, each registering in a loop.
// node bench/register.mjs [--seconds 10] [--clients 50] [--store memory|redis] [--auth none|digest]
import net from 'node:net';
import { parseArgs } from 'node:util';
import { MemoryBus, MemoryNetwork } from '../libs/bus/dist/index.js';
import { digestResponse, getHeader, getHeaders, param, parseParams, randomToken, serialize, SipFramer, parseMessage } from '../libs/sip/dist/index.js';
import { MemoryStore, RedisStore, poolPattern } from '../libs/state/dist/index.js';
import { createLogger } from '../libs/telemetry/dist/index.js';
import { DEV_USERS_FILE, startEdge } from '../services/sip-edge/dist/index.js';
import { BENCH_LIMITS, percentile, writeResults } from './common.mjs';

const { values: o } = parseArgs({
  options: { seconds: { type: 'string', default: '10' }, clients: { type: 'string', default: '50' }, store: { type: 'string', default: 'memory' }, auth: { type: 'string', default: 'digest' } },
});
const seconds = Number(o.seconds);
const clients = Number(o.clients);
const pool = `bench${randomToken(3)}`;
const store = o.store === 'redis' ? RedisStore.create({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' }) : new MemoryStore();
if (o.store === 'redis') await store.ready();
const bus = new MemoryBus(new MemoryNetwork());
const edge = await startEdge({
  pool,
  instanceId: 'bench-edge',
  bus,
  store,
  logger: createLogger({ level: 'silent', base: {} }),
  env: { ...BENCH_LIMITS, SIP_PORT: '0', SIP_TLS_PORT: '0', XMPP_PORT: '0', SIP_HOST: '127.0.0.1', PRESENCE_AUTH: o.auth, PRESENCE_USERS_FILE: DEV_USERS_FILE },
  mode: 'embedded',
});

function connect() {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port: edge.ports.tcp }, () => resolve(s));
    s.setNoDelay(true);
  });
}

const users = ['alice', 'bob', 'carol', 'john'];
const latencies = [];
let done = 0;
let failures = 0;
const stopAt = Date.now() + seconds * 1000;

async function client(i) {
  const s = await connect();
  const framer = new SipFramer();
  let waiting;
  s.on('data', (d) => {
    for (const e of framer.push(d)) if (e.type === 'message') waiting?.(parseMessage(e.bytes).value);
  });
  const user = users[i % users.length];
  const aor = `sip:${user}@contoso.com`;
  const epid = randomToken(5);
  let cseq = 1;
  const send = (extra = []) =>
    new Promise((resolve) => {
      waiting = resolve;
      s.write(
        serialize({
          type: 'request',
          method: 'REGISTER',
          uri: 'sip:contoso.com',
          headers: [
            { name: 'Via', value: `SIP/2.0/TCP ${s.localAddress}:${s.localPort};branch=z9hG4bK${randomToken()}` },
            { name: 'Max-Forwards', value: '70' },
            { name: 'From', value: `<${aor}>;tag=${randomToken(4)};epid=${epid}` },
            { name: 'To', value: `<${aor}>` },
            { name: 'Call-ID', value: `reg-${i}` },
            { name: 'CSeq', value: `${cseq++} REGISTER` },
            { name: 'Contact', value: `<sip:${s.localAddress}:${s.localPort};transport=tcp>;+sip.instance="<urn:uuid:${i}>"` },
            { name: 'Supported', value: 'gruu-10, msrtc-event-categories' },
            ...extra,
          ],
          body: Buffer.alloc(0),
        }),
      );
    });
  let res = await send();
  if (res.status === 401) {
    const ch = getHeaders(res, 'WWW-Authenticate')[0];
    const p = parseParams(ch.replace(/^Digest\s+/, ''), ',');
    const c = { username: user, realm: param(p, 'realm'), nonce: param(p, 'nonce'), uri: 'sip:contoso.com', algorithm: 'SHA-256', qop: 'auth', nc: '00000001', cnonce: randomToken() };
    const response = digestResponse(c, 'REGISTER', `${user}-dev-password`);
    res = await send([{ name: 'Authorization', value: `Digest username="${user}", realm="${c.realm}", nonce="${c.nonce}", uri="${c.uri}", response="${response}", algorithm=SHA-256, qop=auth, nc=00000001, cnonce="${c.cnonce}", opaque="${param(p, 'opaque')}"` }]);
  }
  if (res.status !== 200) throw new Error(`sign-in failed: ${res.status}`);
  while (Date.now() < stopAt) {
    const t0 = performance.now();
    const r = await send();
    latencies.push(performance.now() - t0);
    if (r.status === 200) done++;
    else failures++;
  }
  s.destroy();
}

const t0 = Date.now();
await Promise.all(Array.from({ length: clients }, (_, i) => client(i)));
const secs = (Date.now() - t0) / 1000;
latencies.sort((a, b) => a - b);
await edge.stop();
if (o.store === 'redis') {
  const keys = await store.redis.keys(poolPattern(pool));
  if (keys.length) await store.redis.del(...keys);
  await store.close();
}
await bus.close();
writeResults(`register-${o.store}-${o.auth}`, {
  transport: 'tcp',
  store: o.store,
  auth: o.auth,
  clients,
  seconds: +secs.toFixed(2),
  registers: done,
  failures,
  registersPerSecond: Math.round(done / secs),
  latencyMs: { p50: +percentile(latencies, 50).toFixed(2), p99: +percentile(latencies, 99).toFixed(2) },
});
process.exit(0);
