import { endpointGone, type EndpointGone } from '@presence/bus';
import { describe, expect, it } from 'vitest';
import { buildRequest, TestClient } from '../../../test/support/sip-client.js';
import { startEdgeWorld } from './support/edge-world.js';
import { recordingLogger } from '../../../test/support/recording-logger.js';

describe('edge shutdown order (issue 13: no "bus is closed" at SIGTERM)', () => {
  it('ends the endpoints of the connections it closes before stop() resolves, so the bus can close after', async () => {
    const { logger, lines } = recordingLogger();
    const w = await startEdgeWorld({ PRESENCE_AUTH: 'none' }, { logger });
    // What the edge publishes, and how each publish ended.
    const published: string[] = [];
    const publish = w.bus.publish.bind(w.bus);
    w.bus.publish = async (evt, pool, payload, opts) => {
      try {
        await publish(evt, pool, payload, opts);
        if (evt === endpointGone) published.push(`ok ${(payload as EndpointGone).reason}`);
      } catch (e) {
        published.push(`failed ${(e as Error).name}`);
        throw e;
      }
    };
    const clients = await Promise.all([1, 2, 3].map(() => TestClient.tcp(w.edge.ports.tcp)));
    for (const [i, c] of clients.entries()) {
      expect((await c.request(buildRequest(c, { method: 'REGISTER', user: ['sip:alice@contoso.com', 'sip:bob@contoso.com', 'sip:carol@contoso.com'][i]! }))).status).toBe(200);
    }
    // A store that takes a moment (as Redis over a network does): the clean-up outlives the sockets.
    const get = w.store.get.bind(w.store);
    w.store.get = async (...a: Parameters<typeof get>) => {
      await new Promise((r) => setTimeout(r, 50));
      return get(...a);
    };
    await w.edge.stop();
    await w.bus.close(); // what the process does next at shutdown
    await new Promise((r) => setTimeout(r, 300));
    // Announced while the bus was open: nothing failed once it closed.
    expect(published).toEqual(['ok connection-lost', 'ok connection-lost', 'ok connection-lost']);
    expect(lines.filter((l) => l.level as number >= 50).map((l) => l.msg)).toEqual([]);
    for (const c of clients) c.close();
  });
});
