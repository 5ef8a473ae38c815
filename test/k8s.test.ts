import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { publicationEnv } from '@presence/publication';
import { processEnv } from '@presence/runtime';
import { edgeEnv } from '@presence/sip-edge';
import { subscriptionEnv } from '@presence/subscription';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from './support/process.js';

// No cluster runs here: the manifests are parsed, rendered with `kubectl kustomize` and checked.
type Obj = { apiVersion: string; kind: string; metadata: { name: string }; spec?: any; data?: Record<string, string> };
const K8S = join(repoRoot, 'deploy/k8s');
const BACKEND = ['publication', 'subscription', 'aggregation', 'federation'];
const KNOWN_ENV = new Set(Object.keys({ ...processEnv, ...edgeEnv, ...publicationEnv, ...subscriptionEnv }));

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? yamlFiles(p) : p.endsWith('.yaml') ? [p] : [];
  });
}

function kubectl(): boolean {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function render(overlay: string): Obj[] {
  const out = execFileSync('kubectl', ['kustomize', join(K8S, 'overlays', overlay)], { encoding: 'utf8' });
  return parseAllDocuments(out).map((d) => d.toJS() as Obj);
}

describe('deploy/k8s manifests', () => {
  it('parse, and every object has apiVersion, kind and a name', () => {
    const files = yamlFiles(K8S);
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) {
      for (const doc of parseAllDocuments(readFileSync(f, 'utf8'))) {
        expect(doc.errors, relative(repoRoot, f)).toEqual([]);
        const o = doc.toJS() as Obj;
        if (o.kind === 'Kustomization') continue;
        expect(o.apiVersion, relative(repoRoot, f)).toBeTruthy();
        expect(o.metadata?.name, relative(repoRoot, f)).toBeTruthy();
      }
    }
  });

  const hasKubectl = kubectl();
  describe.each([
    ['dev', ['pool1']],
    ['production', ['pool1']],
    ['two-pools', ['pool1', 'pool2']],
  ])(`overlay %s rendered with kubectl kustomize${hasKubectl ? '' : ' (kubectl not installed: rendering not checked)'}`, (overlay, pools) => {
    const objs = hasKubectl ? render(overlay) : [];
    const find = (kind: string, name: string) => objs.find((o) => o.kind === kind && o.metadata.name === name);

    it.runIf(hasKubectl)('runs every service of every pool with its POOL_ID, probes on /readyz and /healthz, an HPA and a PDB', () => {
      for (const pool of pools) {
        for (const s of BACKEND) {
          const name = `${s}-${pool}`;
          const d = find('Deployment', name);
          expect(d, name).toBeDefined();
          const c = d!.spec.template.spec.containers[0];
          expect(c.command).toEqual(['node', `services/${s}/dist/main.js`]);
          expect(c.env.find((e: { name: string }) => e.name === 'POOL_ID').value).toBe(pool);
          expect(c.readinessProbe.httpGet.path).toBe('/readyz');
          expect(c.livenessProbe.httpGet.path).toBe('/healthz');
          expect(find('HorizontalPodAutoscaler', name)?.spec.scaleTargetRef.name).toBe(name);
          expect(find('PodDisruptionBudget', name)?.spec.selector.matchLabels).toEqual(d!.spec.selector.matchLabels);
        }
      }
    });

    it.runIf(hasKubectl)('exposes the SIP edge for UDP, TCP and TLS keeping client addresses, with stable pod names as instance ids', () => {
      const edge = find('StatefulSet', 'sip-edge')!;
      const c = edge.spec.template.spec.containers[0];
      expect(c.env.find((e: { name: string }) => e.name === 'INSTANCE_ID').valueFrom.fieldRef.fieldPath).toBe('metadata.name');
      expect(c.readinessProbe.httpGet.path).toBe('/readyz');
      expect(c.livenessProbe.httpGet.path).toBe('/healthz');
      const svc = find('Service', 'sip-edge')!;
      expect(svc.spec.type).toBe('LoadBalancer');
      expect(svc.spec.externalTrafficPolicy).toBe('Local');
      expect(svc.spec.ports.map((p: { port: number; protocol: string }) => `${p.port}/${p.protocol}`).sort()).toEqual(['5060/TCP', '5060/UDP', '5061/TCP']);
      expect(find('PodDisruptionBudget', 'sip-edge')).toBeDefined();
    });

    it.runIf(hasKubectl)('configures every process through one ConfigMap naming all the pools, with known variables only', () => {
      const cm = find('ConfigMap', 'presence-config')!;
      expect(cm.data!.PRESENCE_POOLS).toBe(pools.join(','));
      for (const key of Object.keys(cm.data!)) expect(KNOWN_ENV.has(key), key).toBe(true);
      expect(find('Secret', 'presence-users')).toBeDefined();
    });
  });
});
