import { planAggregation } from '@presence/presence';
import { listRecords, publications } from '@presence/state';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { freePort } from './support/infra.js';
import { LyncClient } from './support/lync-client.js';
import { startNode, waitForStatus, type Proc } from './support/process.js';
import { startWorld, type World } from './support/world.js';

const BOB = 'sip:bob@contoso.com';
const NS = 'xmlns="http://schemas.microsoft.com/2006/09/sip/state" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';
const machineState = (instance: number, version: number, availability: number) =>
  `<publish xmlns="http://schemas.microsoft.com/2006/09/sip/rich-presence"><publications uri="${BOB}"><publication categoryName="state" instance="${instance}" container="2" version="${version}" expireType="endpoint"><state ${NS} manual="false" xsi:type="machineState"><availability>${availability}</availability></state></publication></publications></publish>`;

let w: World;
const extra: Proc[] = [];

beforeAll(async () => {
  w = await startWorld({ mode: 'clustered', natsUrl: inject('natsUrl'), redisUrl: inject('redisUrl') });
  // A second publication and a second aggregation instance, each its own process.
  for (const service of ['publication', 'aggregation']) {
    const port = await freePort();
    extra.push(
      startNode(`services/${service}/dist/main.js`, {
        HTTP_PORT: String(port),
        NATS_URL: inject('natsUrl'),
        REDIS_URL: inject('redisUrl'),
        POOL_ID: w.pool,
        INSTANCE_ID: `${service}2-${w.pool}`,
        PRESENCE_USERS_FILE: 'config/dev-users.json',
      }),
    );
    await waitForStatus(`http://127.0.0.1:${port}/readyz`, 200, 15_000);
  }
}, 60_000);

afterAll(async () => {
  await Promise.all(extra.map((p) => p.stop('SIGTERM')));
  await w.stop();
});

it('two endpoints publishing at once through two publication instances end in the state a sequential run over the final inputs gives', async () => {
  const a = await LyncClient.connect(w.ports.tcp, BOB, 'ea');
  const b = await LyncClient.connect(w.ports.tcp, BOB, 'eb');
  try {
    await a.register();
    await b.register();
    const run = async (c: LyncClient, instance: number, values: number[]) => {
      let version = 0;
      let ok = 0;
      for (const v of values) {
        const r = await c.service('application/msrtc-category-publish+xml', machineState(instance, version, v));
        if (r.status === 200) {
          version++;
          ok++;
        }
      }
      return ok;
    };
    const values = Array.from({ length: 15 }, (_, i) => [3500, 5000, 6500, 12500, 15500][i % 5]!);
    const [okA, okB] = await Promise.all([run(a, 2001, values), run(b, 2002, [...values].reverse())]);
    // Each endpoint publishes its own instance: no 409 is the client's (computed-output races are retried).
    expect(okA).toBe(15);
    expect(okB).toBe(15);
    const pubs = await listRecords(w.store, { pool: w.pool, user: BOB }, publications);
    expect(planAggregation(pubs, [{ container: 2, name: 'state' }], new Date()).changes).toEqual([]);
    expect(pubs.find((r) => r.id === '200:state:1')?.value.data).toContain(`<availability>${Math.min(values.at(-1)!, values[0]!)}</availability>`);
  } finally {
    a.close();
    b.close();
  }
});
