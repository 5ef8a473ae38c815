import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { processEnv } from '@presence/runtime';
import { edgeEnv } from '@presence/sip-edge';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { repoRoot } from './support/process.js';

// No Docker engine runs here, so the compose file and Dockerfile are checked by reading them.
const SERVICES = ['sip-edge', 'publication', 'aggregation', 'subscription', 'federation'];
const read = (p: string) => readFileSync(join(repoRoot, p), 'utf8');

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  ports?: string[];
}

describe('docker-compose.yml', () => {
  const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, ComposeService> };
  const BACKEND = SERVICES.filter((s) => s !== 'sip-edge');

  it('runs NATS with JetStream, Redis, two edges and two pools with every service', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      ['nats', 'redis', 'edge-1', 'edge-2', ...['pool1', 'pool2'].flatMap((p) => BACKEND.map((s) => `${p}-${s}`))].sort(),
    );
    expect(compose.services.nats!.command).toContain('-js');
    expect(compose.services.redis!.image).toMatch(/^redis:/);
  });

  it.each([...['pool1', 'pool2'].flatMap((p) => BACKEND.map((s) => [`${p}-${s}`, s, p])), ['edge-1', 'sip-edge', 'pool1'], ['edge-2', 'sip-edge', 'pool1']])(
    'starts %s from the shared image with the clustered configuration',
    (container, name, pool) => {
      const s = compose.services[container]!;
      expect(s.build).toEqual({ context: '.', dockerfile: 'deploy/Dockerfile' });
      expect(s.command).toEqual(['node', `services/${name}/dist/main.js`]);
      expect(existsSync(join(repoRoot, `services/${name}/src/main.ts`))).toBe(true);
      expect(s.environment).toMatchObject({ NATS_URL: 'nats://nats:4222', REDIS_URL: 'redis://redis:6379', POOL_ID: pool, PRESENCE_POOLS: 'pool1,pool2' });
      for (const key of Object.keys(s.environment!)) expect(Object.keys({ ...processEnv, ...edgeEnv })).toContain(key);
      expect(s.depends_on).toEqual({ nats: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });
      expect(s.healthcheck!.test.join(' ')).toContain('http://127.0.0.1:8080/readyz');
    },
  );

  it('gives each edge its own instance id and publishes its SIP ports (UDP, TCP, TLS) and HTTP port', () => {
    expect(compose.services['edge-1']!.environment!.INSTANCE_ID).toBe('edge-1');
    expect(compose.services['edge-2']!.environment!.INSTANCE_ID).toBe('edge-2');
    expect(compose.services['edge-1']!.ports).toEqual(['8080:8080', '5060:5060/udp', '5060:5060/tcp', '5061:5061/tcp']);
    expect(compose.services['edge-2']!.ports).toEqual(['8081:8080', '5062:5060/udp', '5062:5060/tcp', '5063:5061/tcp']);
  });
});

describe('deploy/Dockerfile', () => {
  const dockerfile = read('deploy/Dockerfile');
  const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string>; workspaces: string[] };
  const runs = [...dockerfile.matchAll(/^RUN (.+)$/gm)].map((m) => m[1]!);

  it('builds on a current Node LTS image', () => {
    const froms = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    expect(froms).toEqual(['node:24-slim', 'node:24-slim']);
  });

  it('runs the commands CI runs: npm ci, then the build script of package.json', () => {
    expect(runs).toEqual(['npm ci', 'npm run build', 'npm prune --omit=dev']);
    expect(pkg.scripts.build).toBe('tsc -b');
  });

  it('copies every workspace and file the build needs', () => {
    for (const m of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const src of m[1]!.split(' ')) expect(existsSync(join(repoRoot, src)), src).toBe(true);
    }
    for (const ws of pkg.workspaces) expect(dockerfile).toContain(`COPY ${ws.split('/')[0]} `);
  });

  it('runs as an unprivileged user and starts the embedded server by default', () => {
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^CMD \["node", "services\/embedded\/dist\/main\.js"\]$/m);
  });
});
