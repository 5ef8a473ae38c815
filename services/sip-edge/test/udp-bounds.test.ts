import dgram from 'node:dgram';
import { createLogger } from '@presence/telemetry';
import { describe, expect, it } from 'vitest';
import type { Flow, FlowHandler } from '../src/flows.js';
import { listenUdp } from '../src/transport/udp.js';

describe('UDP listener memory', () => {
  it('keeps at most maxFlows source addresses, forgetting the first seen', async () => {
    const seen: string[] = [];
    const closed: string[] = [];
    const handler: FlowHandler = {
      receive: (f: Flow) => void seen.push(f.id),
      tooLarge: () => undefined,
      closed: (f: Flow) => void closed.push(f.id),
    };
    const l = await listenUdp({ host: '127.0.0.1', port: 0, handler, logger: createLogger({ level: 'silent', base: {} }), maxFlows: 3 });
    const sockets = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const s = dgram.createSocket('udp4');
        await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
        return s;
      }),
    );
    for (const s of sockets) {
      s.send('x', l.port, '127.0.0.1');
      await new Promise((r) => setTimeout(r, 20));
    }
    await expect.poll(() => seen.length).toBe(5);
    expect(closed).toEqual(seen.slice(0, 2));
    for (const s of sockets) s.close();
    await l.close();
  });
});
