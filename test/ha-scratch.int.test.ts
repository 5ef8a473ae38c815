import { it } from 'vitest';
import { startRedisCluster } from './support/redis-cluster.js';
import { RedisStore, publications, put } from '@presence/state';
it('scratch', async () => {
  const r = await startRedisCluster();
  const s = RedisStore.create({ clusterNodes: r.nodesEnv.split(',') }); await s.ready();
  const users = Array.from({length: 50}, (_, i) => ({ pool: 'p', user: `sip:u${i}@x` }));
  const t0 = Date.now();
  const errs = new Map<string, number[]>();
  let stop = false;
  const loop = (async () => { while (!stop) {
    await Promise.all(users.map(async (p) => {
      try { await s.get(p, 'pub', 'x'); await s.apply(p, [put(publications, { categoryName: 'note', instance: '0', container: 400, expireType: 'static', publishTime: 'x', data: 'd' })]); }
      catch (e) { const k = String((e as Error).message).slice(0, 60); if (!errs.has(k)) errs.set(k, []); errs.get(k)!.push(Date.now() - t0); }
    }));
    await new Promise(x => setTimeout(x, 20));
  }})();
  await new Promise(x => setTimeout(x, 1000));
  const m = (await r.masters())[0]!;
  console.log('kill at', Date.now() - t0);
  await r.crash(m);
  await new Promise(x => setTimeout(x, 15000));
  stop = true; await loop;
  for (const [k, v] of errs) console.log(k, v.length, 'first', v[0], 'last', v[v.length-1]);
  await s.close(); await r.stop();
}, 120000);
