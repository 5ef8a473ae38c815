import { createServer } from 'node:net';
import { startProcess, servePing, type RunningService, type ServiceModule } from '@presence/runtime';
import { describe, expect, it } from 'vitest';

interface ProbeService extends RunningService {
  readonly pool: string;
}

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

describe('a service’s own HTTP routes on the process port', () => {
  it('are served beside /healthz, answer 503 until the service has started, and a `once` service starts once', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let starts = 0;
    const probe: ServiceModule = {
      name: 'web',
      once: true,
      http: (app, running) =>
        app.get('/probe', async (_req, reply) => {
          const s = running() as ProbeService | undefined;
          return s ? { pool: s.pool } : reply.code(503).send({ starting: true });
        }),
      start: async (deps) => {
        starts++;
        await gate;
        const ping = await servePing('web', deps);
        return { pool: deps.pool, stop: () => ping.stop() } satisfies ProbeService;
      },
    };
    const port = await freePort();
    const starting = startProcess({
      processName: 'probe-test',
      mode: 'embedded',
      services: [probe],
      env: { HTTP_PORT: String(port), HTTP_HOST: '127.0.0.1', LOG_LEVEL: 'silent', PRESENCE_POOLS: 'p1,p2' },
    });
    let before: Response | undefined;
    for (let until = Date.now() + 5000; !before && Date.now() < until; ) {
      before = await fetch(`http://127.0.0.1:${port}/probe`).catch(() => undefined);
      if (!before) await new Promise((r) => setTimeout(r, 20));
    }
    expect(before?.status).toBe(503);
    release();
    const p = await starting;
    try {
      const res = await fetch(`http://127.0.0.1:${port}/probe`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ pool: 'p1' });
      expect(starts).toBe(1);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    } finally {
      await p.shutdown();
    }
  });
});
