import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { eventually } from './directory-contract.suite.js';
import { LyncClient } from './support/lync-client.js';
import { startWorld, type World } from './support/world.js';
import { cli, dropNamespace, signIn, storeEnv, usersLive } from './users-live.suite.js';

const clustered = (namespace: string, env: Record<string, string> = {}) =>
  startWorld({ mode: 'clustered', natsUrl: inject('natsUrl'), redisUrl: inject('redisUrl'), env: { ...storeEnv(namespace), ...env } });

usersLive('clustered (Redis store, NATS)', clustered);

describe('managed users across processes (clustered)', () => {
  const namespace = `x${randomUUID().slice(0, 8)}`;
  const worlds: World[] = [];
  const clients: LyncClient[] = [];
  afterAll(async () => {
    for (const c of clients) c.close();
    if (worlds[0]) await dropNamespace(worlds[0], namespace);
    await Promise.all(worlds.map((w) => w.stop()));
  });

  it('a user added through one process signs in at another edge within 1 s; disabled there, that edge signs them out', { timeout: 20_000 }, async () => {
    const [a, b] = await Promise.all([clustered(namespace), clustered(namespace)]);
    worlds.push(a!, b!);
    const aor = 'sip:erin@contoso.com';
    expect((await cli(a!, 'add', aor, '--password', 'erin-pw')).code).toBe(0);
    const added = Date.now();
    let status = 0;
    // Tries spaced out, so that the failures before B knows erin stay under the per-user throttle (10).
    for (let attempt = 0; status !== 200 && Date.now() - added < 3000; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, 150));
      const c = await LyncClient.connect(b!.ports.tcp, aor);
      clients.push(c);
      status = (await signIn(c, 'erin', 'erin-pw')).status;
      if (status !== 200) c.close();
    }
    expect(status).toBe(200);
    expect(Date.now() - added).toBeLessThan(1000);
    const signedIn = clients.at(-1)!;
    expect((await cli(a!, 'disable', aor)).code).toBe(0);
    await eventually(() => signedIn.sip.closed, 'the other edge closed the connection', 2000);
  });
});
