import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { processEnv } from '@presence/runtime';
import { OTEL_VARIABLES } from '@presence/telemetry';
import { edgeEnv } from '@presence/sip-edge';
import { webEnv } from '@presence/web';
import { xmppEnv } from '@presence/xmpp-edge';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { repoRoot } from './support/process.js';

// No Docker engine runs here, so the compose file and Dockerfile are checked by reading them.
const SERVICES = ['sip-edge', 'publication', 'aggregation', 'subscription', 'federation'];
/** Services that serve every pool, one container each: they hold client connections (or browsers' streams). */
const SHARED = ['web', 'xmpp-edge'];
const read = (p: string) => readFileSync(join(repoRoot, p), 'utf8');

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  ports?: string[];
  profiles?: string[];
  volumes?: string[];
}

describe('docker-compose.yml', () => {
  const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, ComposeService> };
  const BACKEND = SERVICES.filter((s) => s !== 'sip-edge');

  const PRESENCE = ['edge-1', 'edge-2', ...SHARED, ...['pool1', 'pool2'].flatMap((p) => BACKEND.map((s) => `${p}-${s}`))];
  const OBSERVABILITY = ['prometheus', 'grafana', 'jaeger'];

  it('runs NATS with JetStream, Redis, two edges, the web service, the XMPP edge and two pools with every service; Prometheus, Grafana and Jaeger in the observability profile only', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['nats', 'redis', ...PRESENCE, ...OBSERVABILITY].sort());
    for (const name of OBSERVABILITY) expect(compose.services[name]!.profiles, name).toEqual(['observability']);
    for (const name of ['nats', 'redis', ...PRESENCE]) expect(compose.services[name]!.profiles, name).toBeUndefined();
    expect(compose.services.nats!.command).toContain('-js');
    expect(compose.services.redis!.image).toMatch(/^redis:/);
  });

  it.each([...['pool1', 'pool2'].flatMap((p) => BACKEND.map((s) => [`${p}-${s}`, s, p])), ['edge-1', 'sip-edge', 'pool1'], ['edge-2', 'sip-edge', 'pool1'], ...SHARED.map((s) => [s, s, 'pool1'])])(
    'starts %s from the shared image with the clustered configuration',
    (container, name, pool) => {
      const s = compose.services[container]!;
      expect(s.build).toEqual({ context: '.', dockerfile: 'deploy/Dockerfile' });
      expect(s.command).toEqual(['node', `services/${name}/dist/main.js`]);
      expect(existsSync(join(repoRoot, `services/${name}/src/main.ts`))).toBe(true);
      expect(s.environment).toMatchObject({
        NATS_URL: 'nats://nats:4222',
        REDIS_URL: 'redis://redis:6379',
        POOL_ID: pool,
        PRESENCE_POOLS: 'pool1,pool2',
        // Traces to the profile's Jaeger (OTLP/HTTP), overridable.
        OTEL_EXPORTER_OTLP_ENDPOINT: '${OTEL_EXPORTER_OTLP_ENDPOINT:-http://jaeger:4318}',
        // Jaeger refuses OTLP metrics: they stay on /metrics unless an operator points a collector here.
        OTEL_METRICS_EXPORTER: '${OTEL_METRICS_EXPORTER:-none}',
      });
      for (const key of Object.keys(s.environment!)) expect([...Object.keys({ ...processEnv, ...edgeEnv, ...webEnv, ...xmppEnv }), ...OTEL_VARIABLES]).toContain(key);
      expect(s.depends_on).toEqual({ nats: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });
      expect(s.healthcheck!.test.join(' ')).toContain('http://127.0.0.1:8080/readyz');
    },
  );

  it('gives each edge its own instance id and publishes its SIP, XMPP and HTTP ports on loopback unless BIND_ADDRESS says otherwise', () => {
    const bind = '${BIND_ADDRESS:-127.0.0.1}';
    expect(compose.services['edge-1']!.environment!.INSTANCE_ID).toBe('edge-1');
    expect(compose.services['edge-2']!.environment!.INSTANCE_ID).toBe('edge-2');
    expect(compose.services['edge-1']!.ports).toEqual([`${bind}:8080:8080`, `${bind}:5060:5060/udp`, `${bind}:5060:5060/tcp`, `${bind}:5061:5061/tcp`]);
    expect(compose.services['edge-2']!.ports).toEqual([`${bind}:8081:8080`, `${bind}:5062:5060/udp`, `${bind}:5062:5060/tcp`, `${bind}:5063:5061/tcp`]);
    expect(compose.services['web']!.environment!.INSTANCE_ID).toBe('web-1');
    expect(compose.services['xmpp-edge']!.environment!.INSTANCE_ID).toBe('xmpp-edge-1');
    // The web API and page on 8090; XMPP c2s (RFC 6120, STARTTLS) on its standard port, BOSH on 5280 (XEP-0206's customary one).
    expect(compose.services['web']!.ports).toEqual([`${bind}:8090:8080`]);
    expect(compose.services['xmpp-edge']!.ports).toEqual([`${bind}:5222:5222/tcp`, `${bind}:5280:8080`]);
    // No published port of any container faces every interface by default.
    for (const [name, svc] of Object.entries(compose.services)) for (const p of svc.ports ?? []) expect(p, name).toMatch(/^\$\{BIND_ADDRESS:-127\.0\.0\.1\}:/);
  });

  it('observability: Prometheus scrapes every presence process; Grafana gets the Prometheus data source and the dashboard', () => {
    const mounts = (name: string) => Object.fromEntries(compose.services[name]!.volumes!.map((v) => v.split(':')).map(([src, dst]) => [dst, src]));
    const promConfig = mounts('prometheus')['/etc/prometheus/prometheus.yml']!;
    const prom = parse(read(promConfig)) as { scrape_configs: { honor_labels?: boolean; static_configs: { targets: string[]; labels: Record<string, string> }[] }[] };
    const targets = prom.scrape_configs.flatMap((j) => j.static_configs.map((c) => ({ target: c.targets[0], labels: c.labels })));
    expect(targets.map((t) => t.target).sort()).toEqual(PRESENCE.map((n) => `${n}:8080`).sort());
    for (const t of targets) {
      const container = t.target!.split(':')[0]!;
      if (SHARED.includes(container)) {
        expect(t.labels, container).toEqual({ service: container });
        continue;
      }
      const service = container.startsWith('edge') ? 'sip-edge' : container.split('-')[1];
      expect(t.labels, container).toEqual(container.startsWith('edge') ? { service } : { service, pool: container.split('-')[0] });
    }
    expect(prom.scrape_configs[0]!.honor_labels).toBe(true);
    const grafana = mounts('grafana');
    const datasources = parse(read(`${grafana['/etc/grafana/provisioning']}/datasources/prometheus.yml`)) as { datasources: { uid: string; url: string }[] };
    expect(datasources.datasources[0]).toMatchObject({ uid: 'prometheus', url: 'http://prometheus:9090' });
    const dashboard = JSON.parse(read(grafana['/var/lib/grafana/dashboards/presence.json']!)) as { panels: { type: string; datasource?: { uid: string } }[] };
    for (const p of dashboard.panels.filter((x) => x.type !== 'row')) expect(p.datasource?.uid).toBe('prometheus');
    expect(compose.services.jaeger!.image).toMatch(/^jaegertracing\/all-in-one:/);
  });

  it('web: WEB_TOKEN_SECRET from the environment, with a development default that is marked as such and long enough to start', () => {
    const secret = compose.services['web']!.environment!.WEB_TOKEN_SECRET!;
    const m = /^\$\{WEB_TOKEN_SECRET:-(.+)\}$/.exec(secret);
    expect(m, secret).not.toBeNull();
    // The service refuses a secret under 32 characters (services/web startWeb).
    expect(m![1]!.length).toBeGreaterThanOrEqual(32);
    expect(m![1]).toMatch(/development/);
    // Only the web service signs tokens: the secret is not in the shared environment of every container.
    for (const [name, svc] of Object.entries(compose.services)) if (name !== 'web') expect(Object.keys(svc.environment ?? {}), name).not.toContain('WEB_TOKEN_SECRET');
    expect(read('docker-compose.yml')).toMatch(/DEVELOPMENT DEFAULT, NOT A SECRET/);
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
