import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exited, killNow, until } from './children.js';
import { freePort, natsAnswers } from './infra.js';

/**
 * A 3-node NATS cluster with JetStream from the Debian `nats-server`, on loopback ports, each node
 * with its own store directory and server name, for the high-availability tests.
 */
export interface NatsClusterNode {
  readonly name: string;
  readonly port: number;
  readonly monitorPort: number;
  child: ChildProcess;
}

export interface NatsClusterHandle {
  /** Every node's client URL, comma separated: the value of NATS_URL. */
  readonly url: string;
  readonly nodes: NatsClusterNode[];
  /** kill -9 of node `i`. */
  crash(i: number): Promise<void>;
  /** Starts node `i` again with its store directory (it rejoins and catches up). */
  restart(i: number): Promise<void>;
  /** Resolves once JetStream on every live node reports a meta leader and `peers` known peers. */
  waitJetStream(ms: number): Promise<void>;
  stop(): Promise<void>;
}




/** What /jsz of one node says about the JetStream meta group. */
async function metaLeader(monitorPort: number): Promise<string | undefined> {
  try {
    const r = await fetch(`http://127.0.0.1:${monitorPort}/jsz`, { signal: AbortSignal.timeout(1000) });
    const j = (await r.json()) as { meta_cluster?: { leader?: string } };
    return j.meta_cluster?.leader || undefined;
  } catch {
    return undefined;
  }
}

export async function startNatsCluster(): Promise<NatsClusterHandle> {
  if (!(process.env.PATH ?? '').split(':').some((d) => existsSync(join(d, 'nats-server')))) {
    throw new Error('nats-server is not on PATH: the NATS cluster tests need it (Debian: apt-get install -y nats-server)');
  }
  const dir = mkdtempSync(join(tmpdir(), 'nats-cluster-'));
  const specs: { name: string; port: number; monitorPort: number; routePort: number; dir: string }[] = [];
  for (let i = 0; i < 3; i++) {
    const d = join(dir, `n${i}`);
    mkdirSync(d);
    specs.push({ name: `n${i}`, port: await freePort(), monitorPort: await freePort(), routePort: await freePort(), dir: d });
  }
  const routes = specs.map((s) => `nats://127.0.0.1:${s.routePort}`).join(',');
  const spawnNode = (i: number): ChildProcess => {
    const s = specs[i]!;
    return spawn(
      'nats-server',
      ['-a', '127.0.0.1', '-p', String(s.port), '-m', String(s.monitorPort), '-n', s.name, '-js', '-sd', s.dir,
        '--cluster_name', 'ha', '--cluster', `nats://127.0.0.1:${s.routePort}`, '--routes', routes],
      { stdio: 'ignore', cwd: s.dir },
    );
  };
  const nodes: NatsClusterNode[] = specs.map((s, i) => ({ name: s.name, port: s.port, monitorPort: s.monitorPort, child: spawnNode(i) }));
  const handle: NatsClusterHandle = {
    url: nodes.map((n) => `nats://127.0.0.1:${n.port}`).join(','),
    nodes,
    crash: async (i) => killNow(nodes[i]!.child),
    restart: async (i) => {
      nodes[i]!.child = spawnNode(i);
      await until(() => natsAnswers(`nats://127.0.0.1:${nodes[i]!.port}`), 10_000, `nats-server ${nodes[i]!.name}`);
    },
    waitJetStream: async (ms) =>
      until(
        async () => {
          const live = nodes.filter((n) => !exited(n.child));
          const leaders = await Promise.all(live.map((n) => metaLeader(n.monitorPort)));
          return leaders.every((l) => l !== undefined);
        },
        ms,
        'JetStream of the NATS cluster',
      ),
    stop: async () => {
      await Promise.all(nodes.map((n) => killNow(n.child)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    for (const n of nodes) await until(() => natsAnswers(`nats://127.0.0.1:${n.port}`), 10_000, `nats-server ${n.name}`);
    await handle.waitJetStream(30_000);
  } catch (e) {
    await handle.stop();
    throw e;
  }
  return handle;
}
