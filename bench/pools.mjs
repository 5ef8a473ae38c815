// Publish throughput with 1 and 2 pools: U users (homed by rendezvous hashing), each publishing K
// notes one after the other, all users at once, through one edge over TCP.
// node bench/pools.mjs [--mode embedded|clustered] [--users 200] [--publishes 20]
import { parseArgs } from 'node:util';
import os from 'node:os';
import { aggregation } from '../services/aggregation/dist/index.js';
import { federation } from '../services/federation/dist/index.js';
import { publication } from '../services/publication/dist/index.js';
import { startProcess } from '../libs/runtime/dist/index.js';
import { sipEdge } from '../services/sip-edge/dist/index.js';
import { subscription } from '../services/subscription/dist/index.js';
import { randomToken } from '../libs/sip/dist/index.js';
import { BENCH_LIMITS, percentile, writeResults } from './common.mjs';
import { endpoint, notePublish, PUBLISH_TYPE } from './sip-client.mjs';

const { values: o } = parseArgs({ options: { mode: { type: 'string', default: 'embedded' }, users: { type: 'string', default: '200' }, publishes: { type: 'string', default: '20' } } });
const U = Number(o.users);
const K = Number(o.publishes);

async function run(poolCount) {
  const tag = randomToken(3);
  const pools = Array.from({ length: poolCount }, (_, i) => `b${tag}p${i + 1}`);
  const proc = await startProcess({
    processName: 'bench',
    mode: o.mode,
    services: [publication, aggregation, subscription, federation, sipEdge],
    env: { ...process.env, ...BENCH_LIMITS, HTTP_PORT: '0', SIP_PORT: '0', SIP_TLS_PORT: '0', XMPP_PORT: '0', SIP_HOST: '127.0.0.1', LOG_LEVEL: 'error', POOL_ID: pools[0], PRESENCE_POOLS: pools.join(','), INSTANCE_ID: `edge-${tag}`, PRESENCE_AUTH: 'none', PRESENCE_USERS_FILE: 'config/dev-users.json' },
  });
  // Clustered: a process serves one pool; the other pools get their own (here: in this same OS process).
  const others = [];
  if (o.mode === 'clustered') {
    for (const pool of pools.slice(1)) {
      others.push(
        await startProcess({
          processName: 'bench-pool',
          mode: 'clustered',
          services: [publication, aggregation, subscription, federation],
          env: { ...process.env, ...BENCH_LIMITS, HTTP_PORT: '0', LOG_LEVEL: 'error', POOL_ID: pool, PRESENCE_POOLS: pools.join(','), INSTANCE_ID: `pool-${pool}`, PRESENCE_USERS_FILE: 'config/dev-users.json' },
        }),
      );
    }
  }
  const port = proc.services.find((s) => 'ports' in s).ports.tcp;
  const clients = await Promise.all(Array.from({ length: U }, (_, i) => endpoint(port, `sip:bench${i}@contoso.com`, `e${i}`)));
  await Promise.all(clients.map((c) => c.request('REGISTER', [])));
  await new Promise((r) => setTimeout(r, 1000)); // server publications of the sign-ins
  const latencies = [];
  const t0 = performance.now();
  await Promise.all(
    clients.map(async (c, i) => {
      for (let k = 0; k < K; k++) {
        const s = performance.now();
        const res = await c.request('SERVICE', PUBLISH_TYPE, notePublish(`sip:bench${i}@contoso.com`, k, `n${k}`));
        if (res.status !== 200) throw new Error(`publish got ${res.status}`);
        latencies.push(performance.now() - s);
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  for (const c of clients) c.close();
  if (o.mode === 'clustered') {
    const redis = proc.adapters.store.redis;
    for (const p of pools) {
      const keys = await redis.keys(`pres:${p}:*`);
      for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
    }
  }
  for (const x of others) await x.shutdown();
  await proc.shutdown();
  latencies.sort((a, b) => a - b);
  return { pools: poolCount, publishes: U * K, publishesPerSecond: Math.round((U * K) / secs), latencyMs: { p50: +percentile(latencies, 50).toFixed(1), p99: +percentile(latencies, 99).toFixed(1) } };
}

const one = await run(1);
const two = await run(2);
writeResults(`pools-${o.mode}`, { mode: o.mode, users: U, publishesEach: K, cores: os.cpus().length, onePool: one, twoPools: two });
process.exit(0);
