import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { publicationEnv } from '@presence/publication';
import { processEnv } from '@presence/runtime';
import { edgeEnv } from '@presence/sip-edge';
import { subscriptionEnv } from '@presence/subscription';
import { webEnv } from '@presence/web';
import { xmppEnv } from '@presence/xmpp-edge';
import { describe, expect, it } from 'vitest';
import { parseEnv } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from './support/process.js';

// No cluster runs here: every overlay is rendered with `kubectl kustomize` and each object is
// validated against the Kubernetes OpenAPI schema (the `kubernetes-models` package), then checked.
type Obj = { apiVersion: string; kind: string; metadata: { name: string; annotations?: Record<string, string> }; spec?: any; data?: Record<string, string> };
const K8S = join(repoRoot, 'deploy/k8s');
const BACKEND = ['publication', 'subscription', 'aggregation', 'federation'];
const KNOWN_ENV = new Set(Object.keys({ ...processEnv, ...edgeEnv, ...publicationEnv, ...subscriptionEnv, ...webEnv, ...xmppEnv }));
/** Kinds of custom resources (CRDs) whose schemas are not Kubernetes': checked by hand below. */
const CUSTOM = new Set(['cert-manager.io/v1/Certificate']);

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? yamlFiles(p) : p.endsWith('.yaml') ? [p] : [];
  });
}

function kubectl(): void {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
  } catch {
    throw new Error('kubectl is not installed: install it (apt-get install kubectl, or the static binary from dl.k8s.io) to render the overlays');
  }
}

function render(dir: string): Obj[] {
  kubectl();
  const out = execFileSync('kubectl', ['kustomize', join(K8S, dir)], { encoding: 'utf8' });
  return parseAllDocuments(out).map((d) => d.toJS() as Obj);
}

/** Validates `o` against its kind's OpenAPI schema; the schema errors, or [] when valid. */
function schemaErrors(o: Obj): string[] {
  const path = `${o.apiVersion}/${o.kind}`;
  const mod = createRequire(import.meta.url)(`kubernetes-models/${path}`) as Record<string, new (data: unknown) => { validate(): void }>;
  const Model = mod[o.kind];
  if (!Model) return [`no schema for ${o.apiVersion} ${o.kind}`];
  // kustomize writes Secret data as base64 wrapped over lines; the API server's decoder skips the
  // newlines (Go's encoding/base64), the validator's `byte` format does not.
  const data = o.kind === 'Secret' && o.data ? { data: Object.fromEntries(Object.entries(o.data).map(([k, v]) => [k, v.replace(/\n/g, '')])) } : {};
  try {
    new Model({ ...o, ...data }).validate();
    return [];
  } catch (e) {
    return [`${o.kind}/${o.metadata.name}: ${(e as Error).message}`];
  }
}

const workloads = (objs: Obj[]) => objs.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet');

type LabelSelector = { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] };

/** Whether a label selector picks a pod with `labels`, as the API server decides it (an empty selector picks every pod). */
function selects(selector: LabelSelector, labels: Record<string, string>): boolean {
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpressions = (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    if (operator === 'In') return key in labels && values.includes(labels[key]!);
    if (operator === 'NotIn') return !(key in labels) || !values.includes(labels[key]!);
    if (operator === 'Exists') return key in labels;
    if (operator === 'DoesNotExist') return !(key in labels);
    throw new Error(`unknown selector operator ${operator}`);
  });
  return byLabels && byExpressions;
}

/** The pods of the data stores this repository ships (single Redis, Redis Cluster, NATS cluster), with their labels and ports. */
const dataStorePods = () =>
  ['redis', 'redis-cluster', 'nats-cluster'].flatMap((dir) =>
    workloads(render(dir)).map((w) => ({
      name: `${dir}/${w.metadata.name}`,
      labels: w.spec.template.metadata.labels as Record<string, string>,
      ports: (w.spec.template.spec.containers as { ports?: { containerPort: number }[] }[]).flatMap((c) => (c.ports ?? []).map((p) => p.containerPort)),
    })),
  );

describe('deploy/k8s manifests', () => {
  it('parse, and every object has apiVersion, kind and a name', () => {
    const files = yamlFiles(K8S);
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) {
      for (const doc of parseAllDocuments(readFileSync(f, 'utf8'))) {
        expect(doc.errors, relative(repoRoot, f)).toEqual([]);
        const o = doc.toJS() as Obj;
        if (o.kind === 'Kustomization' || o.kind === 'Component') continue;
        expect(o.apiVersion, relative(repoRoot, f)).toBeTruthy();
        expect(o.metadata?.name, relative(repoRoot, f)).toBeTruthy();
      }
    }
  });

  it('the schema check catches what the API server would refuse', () => {
    const d = render('base').find((o) => o.kind === 'StatefulSet')!;
    expect(schemaErrors(d)).toEqual([]);
    expect(schemaErrors({ ...d, spec: { ...d.spec, replicas: 'two' } })).toEqual([expect.stringContaining('replicas must be integer')]);
  });

  it('the base ships no credentials: no users Secret, no TLS Secret; only known variables in presence.env', () => {
    const base = render('base');
    expect(base.filter((o) => o.kind === 'Secret')).toEqual([]);
    const env = parseEnv(readFileSync(join(K8S, 'base/presence.env'), 'utf8'));
    for (const key of Object.keys(env)) expect(KNOWN_ENV.has(key), key).toBe(true);
  });

  it('the Redis manifests validate against the Kubernetes schemas and run Redis unprivileged', () => {
    const objs = render('redis');
    for (const o of objs) expect(schemaErrors(o)).toEqual([]);
    const pod = workloads(objs)[0]!.spec.template.spec;
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.containers[0].securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    // Not part-of presence: the presence NetworkPolicies (ingress 8080/8081 only) would close 6379.
    expect(workloads(objs)[0]!.spec.template.metadata.labels['app.kubernetes.io/part-of']).toBe('presence-data');
  });

  it('the Redis Cluster (3 masters + 3 replicas) and NATS cluster (3 nodes, JetStream) validate, run unprivileged, and the ha overlay points at every node', () => {
    for (const [dir, name, replicas] of [['redis-cluster', 'redis-cluster', 6], ['nats-cluster', 'nats', 3]] as const) {
      const objs = render(dir);
      for (const o of objs) expect(schemaErrors(o)).toEqual([]);
      const set = workloads(objs).find((o) => o.metadata.name === name)!;
      expect(set.spec.replicas).toBe(replicas);
      const pod = set.spec.template.spec;
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      expect(pod.containers[0].securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
      // Not part-of presence: the presence NetworkPolicies (ingress 8080/8081 only) must not select them.
      expect(set.spec.template.metadata.labels['app.kubernetes.io/part-of']).toBe('presence-data');
      expect(objs.find((o) => o.kind === 'PodDisruptionBudget')?.spec.maxUnavailable).toBe(1);
    }
    const job = render('redis-cluster').find((o) => o.kind === 'Job')!;
    expect(job.spec.template.spec.containers[0].command.join(' ')).toContain('--cluster-replicas 1');
    const cm = render('overlays/ha').find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('presence-config-'))!;
    expect(cm.data!.REDIS_CLUSTER_NODES!.split(',')).toHaveLength(6);
    expect(cm.data!.NATS_URL!.split(',')).toHaveLength(3);
    expect(cm.data!.JETSTREAM_REPLICAS).toBe('3');
  });

  describe.each([
    ['dev', ['pool1']],
    ['production', ['pool1']],
    ['two-pools', ['pool1', 'pool2']],
    ['ha', ['pool1']],
  ])('overlay %s, rendered with kubectl kustomize', (overlay, pools) => {
    const objs = render(join('overlays', overlay));
    const find = (kind: string, name: string) => objs.find((o) => o.kind === kind && o.metadata.name === name);
    const byPrefix = (kind: string, prefix: string) => objs.filter((o) => o.kind === kind && o.metadata.name.startsWith(`${prefix}-`));

    it('every object validates against the Kubernetes OpenAPI schema (custom resources checked by hand)', () => {
      const errors: string[] = [];
      for (const o of objs) {
        if (CUSTOM.has(`${o.apiVersion}/${o.kind}`)) continue;
        errors.push(...schemaErrors(o));
      }
      expect(errors).toEqual([]);
      expect(objs.length).toBeGreaterThan(15);
    });

    it('runs every service of every pool with its POOL_ID, probes, an HPA and a PDB', () => {
      for (const pool of pools) {
        for (const s of BACKEND) {
          const name = `${s}-${pool}`;
          const d = find('Deployment', name);
          expect(d, name).toBeDefined();
          const c = d!.spec.template.spec.containers[0];
          expect(c.command).toEqual(['node', `services/${s}/dist/main.js`]);
          expect(c.env.find((e: { name: string }) => e.name === 'POOL_ID').value).toBe(pool);
          expect(c.startupProbe.httpGet.path).toBe('/readyz/self');
          expect(c.readinessProbe.httpGet.path).toBe('/readyz');
          expect(c.livenessProbe.httpGet.path).toBe('/healthz');
          expect(find('HorizontalPodAutoscaler', name)?.spec.scaleTargetRef.name).toBe(name);
          expect(find('PodDisruptionBudget', name)?.spec.selector.matchLabels).toEqual(d!.spec.selector.matchLabels);
        }
      }
    });

    it('the edge: UDP, TCP and TLS keeping client addresses, stable pod names as instance ids, readiness without dependencies', () => {
      const edge = find('StatefulSet', 'sip-edge')!;
      const c = edge.spec.template.spec.containers[0];
      expect(c.env.find((e: { name: string }) => e.name === 'INSTANCE_ID').valueFrom.fieldRef.fieldPath).toBe('metadata.name');
      // A NATS or Redis blip must not take every edge out of the load balancer at once.
      expect(c.readinessProbe.httpGet.path).toBe('/readyz/self');
      expect(c.startupProbe.httpGet.path).toBe('/readyz/self');
      expect(c.livenessProbe.httpGet.path).toBe('/healthz');
      const svc = find('Service', 'sip-edge')!;
      expect(svc.spec.type).toBe('LoadBalancer');
      expect(svc.spec.externalTrafficPolicy).toBe('Local');
      expect(svc.spec.ports.map((p: { port: number; protocol: string }) => `${p.port}/${p.protocol}`).sort()).toEqual(['5060/TCP', '5060/UDP', '5061/TCP']);
      expect(find('PodDisruptionBudget', 'sip-edge')).toBeDefined();
    });

    it('the web service: a Deployment with an HPA and a PDB behind a ClusterIP Service, its token secret from a Secret, readiness without dependencies', () => {
      const web = find('Deployment', 'web')!;
      const c = web.spec.template.spec.containers[0];
      expect(c.command).toEqual(['node', 'services/web/dist/main.js']);
      const env = (name: string) => c.env.find((e: { name: string }) => e.name === name);
      // Its pod name is its instance id, so its edge id (web-<id>) on the bus is unique.
      expect(env('INSTANCE_ID').valueFrom.fieldRef.fieldPath).toBe('metadata.name');
      // Clustered, the service refuses to start without WEB_TOKEN_SECRET: from a Secret, never a literal.
      const ref = env('WEB_TOKEN_SECRET').valueFrom.secretKeyRef;
      expect(env('WEB_TOKEN_SECRET').value).toBeUndefined();
      expect(ref.key).toBe('WEB_TOKEN_SECRET');
      expect(ref.optional).toBeUndefined();
      if (overlay === 'dev') {
        // dev generates a development value (hash-suffixed name); production overlays expect the operator's Secret.
        const secret = find('Secret', ref.name)!;
        expect(ref.name).toMatch(/^presence-web-[a-z0-9]{10}$/);
        const value = Buffer.from(secret.data!.WEB_TOKEN_SECRET!.replace(/\n/g, ''), 'base64').toString();
        expect(value.length).toBeGreaterThanOrEqual(32);
        expect(value).toMatch(/development/);
      } else {
        expect(ref.name).toBe('presence-web');
        expect(byPrefix('Secret', 'presence-web')).toEqual([]);
      }
      expect(c.startupProbe.httpGet.path).toBe('/readyz/self');
      expect(c.readinessProbe.httpGet.path).toBe('/readyz/self');
      expect(c.livenessProbe.httpGet.path).toBe('/healthz');
      const svc = find('Service', 'web')!;
      expect(svc.spec.type).toBe('ClusterIP');
      expect(svc.spec.selector).toEqual(web.spec.selector.matchLabels);
      expect(svc.spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }]);
      expect(c.ports.find((p: { name: string }) => p.name === 'http').containerPort).toBe(8080);
      expect(find('HorizontalPodAutoscaler', 'web')?.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' });
      expect(find('PodDisruptionBudget', 'web')?.spec.selector.matchLabels).toEqual(web.spec.selector.matchLabels);
    });

    it('the XMPP edge: c2s on 5222 through a LoadBalancer keeping client addresses, BOSH on a sticky Service, readiness without dependencies', () => {
      const xmpp = find('Deployment', 'xmpp-edge')!;
      const c = xmpp.spec.template.spec.containers[0];
      expect(c.command).toEqual(['node', 'services/xmpp-edge/dist/main.js']);
      expect(c.env.find((e: { name: string }) => e.name === 'INSTANCE_ID').valueFrom.fieldRef.fieldPath).toBe('metadata.name');
      expect(c.ports.map((p: { name: string; containerPort: number }) => `${p.name}:${p.containerPort}`).sort()).toEqual(['admin:8081', 'http:8080', 'xmpp-client:5222']);
      expect(c.startupProbe.httpGet.path).toBe('/readyz/self');
      expect(c.readinessProbe.httpGet.path).toBe('/readyz/self');
      expect(c.livenessProbe.httpGet.path).toBe('/healthz');
      const svc = find('Service', 'xmpp-edge')!;
      expect(svc.spec.type).toBe('LoadBalancer');
      expect(svc.spec.externalTrafficPolicy).toBe('Local');
      expect(svc.spec.selector).toEqual(xmpp.spec.selector.matchLabels);
      expect(svc.spec.ports).toEqual([{ name: 'xmpp-client', port: 5222, targetPort: 'xmpp-client', protocol: 'TCP' }]);
      // A BOSH session lives in one pod: its requests must keep reaching that pod.
      const bosh = find('Service', 'xmpp-edge-http')!;
      expect(bosh.spec.sessionAffinity).toBe('ClientIP');
      expect(bosh.spec.selector).toEqual(xmpp.spec.selector.matchLabels);
      expect(bosh.spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }]);
      expect(find('PodDisruptionBudget', 'xmpp-edge')?.spec.selector.matchLabels).toEqual(xmpp.spec.selector.matchLabels);
    });

    it('every workload sets only variables the processes know', () => {
      for (const w of workloads(objs)) for (const e of w.spec.template.spec.containers[0].env) expect(KNOWN_ENV.has(e.name), `${w.metadata.name} ${e.name}`).toBe(true);
    });

    it('grace periods cover preStop plus the drain (SHUTDOWN_TIMEOUT_MS), with time to spare', () => {
      for (const w of workloads(objs)) {
        const pod = w.spec.template.spec;
        const c = pod.containers[0];
        const drainS = Number(c.env.find((e: { name: string }) => e.name === 'SHUTDOWN_TIMEOUT_MS').value) / 1000;
        const preStopS = c.lifecycle?.preStop?.exec?.command?.[0] === 'sleep' ? Number(c.lifecycle.preStop.exec.command[1]) : 0;
        expect(pod.terminationGracePeriodSeconds, w.metadata.name).toBeGreaterThanOrEqual(preStopS + drainS + 2);
      }
      expect(find('StatefulSet', 'sip-edge')!.spec.template.spec.containers[0].lifecycle.preStop.exec.command).toEqual(['sleep', '5']);
      for (const name of ['web', 'xmpp-edge']) expect(find('Deployment', name)!.spec.template.spec.containers[0].lifecycle.preStop.exec.command, name).toEqual(['sleep', '5']);
    });

    it('every pod: non-root, read-only root filesystem, no privilege escalation, no capabilities; scraped by Prometheus', () => {
      for (const w of workloads(objs)) {
        const pod = w.spec.template.spec;
        expect(pod.securityContext, w.metadata.name).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
        expect(pod.containers[0].securityContext, w.metadata.name).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
        expect(w.spec.template.metadata.annotations).toEqual({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '8080', 'prometheus.io/path': '/metrics' });
      }
    });

    it('the image comes from kustomize `images:`: a fixed tag, never latest; a registry outside dev', () => {
      for (const w of workloads(objs)) {
        const image: string = w.spec.template.spec.containers[0].image;
        expect(image, w.metadata.name).not.toMatch(/:latest$/);
        expect(image, w.metadata.name).toMatch(overlay === 'dev' ? /^presence-server:dev$/ : /^registry\.example\.com\/presence\/presence-server:0\.1\.0$/);
      }
    });

    it('configuration and users through generated objects with hash suffixes, referenced by every workload', () => {
      const [cm, ...more] = byPrefix('ConfigMap', 'presence-config');
      expect(more).toEqual([]);
      expect(cm!.metadata.name).toMatch(/^presence-config-[a-z0-9]{10}$/);
      expect(cm!.data!.PRESENCE_POOLS).toBe(pools.join(','));
      for (const key of Object.keys(cm!.data!)) expect(KNOWN_ENV.has(key), key).toBe(true);
      const users = byPrefix('Secret', 'presence-users');
      for (const w of workloads(objs)) {
        const pod = w.spec.template.spec;
        expect(pod.containers[0].envFrom[0].configMapRef.name, w.metadata.name).toBe(cm!.metadata.name);
        const usersVolume = pod.volumes.find((v: { name: string }) => v.name === 'users').secret.secretName;
        // dev generates the development accounts; production expects the operator's own Secret.
        expect(usersVolume, w.metadata.name).toBe(overlay === 'dev' ? users[0]!.metadata.name : 'presence-users');
      }
      if (overlay === 'dev') expect(users[0]!.metadata.name).toMatch(/^presence-users-[a-z0-9]{10}$/);
      else expect(users).toEqual([]);
    });

    it('TLS: production overlays get presence-sip-tls from a cert-manager Certificate naming every pool and the XMPP domain, for both edges; dev uses generated certificates', () => {
      const edges = [find('StatefulSet', 'sip-edge')!, find('Deployment', 'xmpp-edge')!].map((w) => w.spec.template.spec);
      const cert = find('Certificate', 'presence-sip-tls');
      if (overlay === 'dev') {
        expect(cert).toBeUndefined();
        for (const edge of edges) {
          expect(edge.volumes.map((v: { name: string }) => v.name)).not.toContain('tls');
          expect(edge.containers[0].env.map((e: { name: string }) => e.name)).not.toContain('SIP_TLS_CERT_FILE');
          expect(edge.containers[0].volumeMounts.map((m: { mountPath: string }) => m.mountPath)).not.toContain('/etc/presence/tls');
        }
        return;
      }
      for (const edge of edges) {
        expect(edge.volumes.find((v: { name: string }) => v.name === 'tls').secret.secretName).toBe('presence-sip-tls');
        const env = Object.fromEntries(edge.containers[0].env.map((e: { name: string; value?: string }) => [e.name, e.value]));
        expect(env).toMatchObject({ SIP_TLS_CERT_FILE: '/etc/presence/tls/tls.crt', SIP_TLS_KEY_FILE: '/etc/presence/tls/tls.key' });
        expect(edge.containers[0].volumeMounts).toContainEqual({ name: 'tls', mountPath: '/etc/presence/tls', readOnly: true });
      }
      // XMPP clients check the JID's domain (RFC 6120 §13.7.2.1), which is the SIP domain.
      expect(cert!.spec.dnsNames).toContain('contoso.com');
      expect(cert!.apiVersion).toBe('cert-manager.io/v1');
      expect(cert!.spec.secretName).toBe('presence-sip-tls');
      expect(cert!.spec.issuerRef).toMatchObject({ kind: 'ClusterIssuer', name: expect.any(String) });
      for (const pool of pools) expect(cert!.spec.dnsNames).toContain(`${pool}.contoso.com`);
    });

    it('NetworkPolicy: the admin port only from admin clients, SIP only to the edges; the admin routes on that port', () => {
      const http = find('NetworkPolicy', 'presence-http')!;
      expect(http.spec.podSelector.matchLabels).toEqual({ 'app.kubernetes.io/part-of': 'presence' });
      const adminRule = http.spec.ingress.find((r: { ports: { port: number }[] }) => r.ports.some((p) => p.port === 8081));
      expect(adminRule.from).toEqual([{ podSelector: { matchLabels: { 'presence.io/admin-client': 'true' } } }]);
      const openRules = http.spec.ingress.filter((r: { from?: unknown }) => r.from === undefined);
      expect(openRules.flatMap((r: { ports: { port: number }[] }) => r.ports.map((p) => p.port))).toEqual([8080]);
      const sip = find('NetworkPolicy', 'sip-edge-sip')!;
      expect(sip.spec.podSelector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'sip-edge' });
      const c2s = find('NetworkPolicy', 'xmpp-edge-c2s')!;
      expect(c2s.spec.podSelector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'xmpp-edge' });
      expect(c2s.spec.ingress).toEqual([{ ports: [{ port: 5222, protocol: 'TCP' }] }]);
      const cm = byPrefix('ConfigMap', 'presence-config')[0]!;
      expect(cm.data).toMatchObject({ ADMIN_HTTP_PORT: '8081', ADMIN_HTTP_HOST: '0.0.0.0' });
    });

    it('NetworkPolicy: every port a Service sends to is open on the pods behind it (from anywhere for a LoadBalancer)', () => {
      const policies = objs.filter((o) => o.kind === 'NetworkPolicy');
      const services = objs.filter((o) => o.kind === 'Service' && o.spec.selector);
      expect(services.map((s) => s.metadata.name)).toEqual(expect.arrayContaining(['sip-edge', 'xmpp-edge', 'xmpp-edge-http', 'web']));
      for (const svc of services) {
        const pods = workloads(objs).filter((w) => selects({ matchLabels: svc.spec.selector }, w.spec.template.metadata.labels));
        expect(pods.length, svc.metadata.name).toBeGreaterThan(0);
        for (const w of pods) {
          const labels = w.spec.template.metadata.labels;
          const applying = policies.filter((p) => selects(p.spec.podSelector, labels));
          if (applying.length === 0) continue;
          const containerPorts: { name?: string; containerPort: number; protocol?: string }[] = w.spec.template.spec.containers.flatMap((c: { ports?: unknown[] }) => c.ports ?? []);
          for (const port of svc.spec.ports as { targetPort: string | number; protocol?: string }[]) {
            const protocol = port.protocol ?? 'TCP';
            const target = typeof port.targetPort === 'number' ? port.targetPort : containerPorts.find((p) => p.name === port.targetPort && (p.protocol ?? 'TCP') === protocol)?.containerPort;
            expect(target, `${svc.metadata.name} ${String(port.targetPort)}`).toBeTypeOf('number');
            const rules = applying.flatMap((p) => p.spec.ingress as { from?: unknown[]; ports: { port: number | string; protocol?: string }[] }[]);
            const opens = (r: (typeof rules)[number]) => r.ports.some((p) => (p.port === target || p.port === port.targetPort) && (p.protocol ?? 'TCP') === protocol);
            const open = rules.filter(opens);
            expect(open.length, `${svc.metadata.name} -> ${w.metadata.name}:${target}/${protocol}`).toBeGreaterThan(0);
            if (svc.spec.type === 'LoadBalancer') expect(open.some((r) => r.from === undefined), `${svc.metadata.name} open to every source`).toBe(true);
          }
        }
      }
    });

    it('NetworkPolicy: no policy selects the data stores\' pods (Redis, Redis Cluster, NATS), whose ports it would close', () => {
      const stores = dataStorePods();
      expect(stores.map((p) => p.name).sort()).toEqual(['nats-cluster/nats', 'redis-cluster/redis-cluster', 'redis/redis']);
      for (const store of stores) expect(store.ports.length, store.name).toBeGreaterThan(0);
      const policies = objs.filter((o) => o.kind === 'NetworkPolicy');
      expect(policies.length).toBeGreaterThan(0);
      // A policy selecting a pod denies every ingress it does not list: one that selects a store and
      // does not list its ports (6379, 4222, ...) cuts the presence server off from it.
      for (const policy of policies) {
        for (const store of stores) expect(selects(policy.spec.podSelector, store.labels), `${policy.metadata.name} selects ${store.name}`).toBe(false);
      }
      // The matcher itself: the policy does select the presence pods.
      const http = find('NetworkPolicy', 'presence-http')!;
      for (const w of workloads(objs)) expect(selects(http.spec.podSelector, w.spec.template.metadata.labels), w.metadata.name).toBe(true);
    });
  });
});
