import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { processEnv } from '@presence/runtime';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { repoRoot } from './support/process.js';

// No Docker engine runs here: the HA compose layer is checked by reading it, against the main file.
type Svc = { profiles?: string[]; command?: string[]; entrypoint?: string[]; environment?: Record<string, string>; depends_on?: Record<string, { condition: string }> };
const read = (f: string) => parse(readFileSync(join(repoRoot, f), 'utf8'), { merge: true }) as { services: Record<string, Svc> };

describe('deploy/compose/ha.yml (docker compose --profile ha)', () => {
  const ha = read('deploy/compose/ha.yml');
  const main = read('docker-compose.yml');
  const presence = Object.keys(main.services).filter((n) => n.startsWith('edge-') || n.startsWith('pool') || n === 'web' || n === 'xmpp-edge');

  it('adds 6 Redis nodes in cluster mode, a one-shot job that makes them 3 masters + 3 replicas, and 3 NATS nodes with JetStream and routes, all in the ha profile', () => {
    const redis = Object.keys(ha.services).filter((n) => /^redis-ha-\d$/.test(n));
    const nats = Object.keys(ha.services).filter((n) => /^nats-ha-\d$/.test(n));
    expect(redis).toHaveLength(6);
    expect(nats).toHaveLength(3);
    for (const n of [...redis, ...nats, 'redis-ha-init']) expect(ha.services[n]!.profiles, n).toEqual(['ha']);
    for (const n of redis) expect(ha.services[n]!.command!.join(' ')).toContain('--cluster-enabled yes');
    expect(ha.services['redis-ha-init']!.entrypoint!.join(' ')).toContain('--cluster-replicas 1');
    for (const n of nats) {
      const cmd = ha.services[n]!.command!.join(' ');
      expect(cmd).toContain('-js');
      expect(cmd).toContain(`-n ${n}`);
      expect(cmd).toContain('--routes nats://nats-ha-1:6222,nats://nats-ha-2:6222,nats://nats-ha-3:6222');
    }
  });

  it('points every presence container of docker-compose.yml at both clusters, started after them', () => {
    expect(presence).toEqual(expect.arrayContaining(['edge-1', 'edge-2', 'web', 'xmpp-edge', 'pool1-publication', 'pool2-federation']));
    for (const n of presence) {
      const s = ha.services[n]!;
      expect(s, n).toBeDefined();
      expect(s.environment!.REDIS_CLUSTER_NODES!.split(',')).toEqual([1, 2, 3, 4, 5, 6].map((i) => `redis-ha-${i}:6379`));
      expect(s.environment!.NATS_URL!.split(',')).toEqual([1, 2, 3].map((i) => `nats://nats-ha-${i}:4222`));
      for (const key of Object.keys(s.environment!)) expect(Object.keys(processEnv)).toContain(key);
      expect(s.depends_on!['redis-ha-init']).toEqual({ condition: 'service_completed_successfully' });
      for (const i of [1, 2, 3]) expect(s.depends_on![`nats-ha-${i}`]).toEqual({ condition: 'service_healthy' });
    }
  });
});
