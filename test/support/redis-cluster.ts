import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { exited, killNow, until } from './children.js';
import { freePort, redisAnswers } from './infra.js';

const run = promisify(execFile);

/**
 * A Redis Cluster of 3 masters + 3 replicas from the Debian `redis-server` and `redis-cli`, on
 * loopback ports and temporary directories of its own, for the high-availability tests. Started
 * once per test file (forming the cluster takes a few seconds); `stop()` removes everything.
 */
export interface RedisClusterNode {
  readonly port: number;
  child: ChildProcess;
}

export interface RedisClusterHandle {
  /** `host:port,...` of every node: the value of REDIS_CLUSTER_NODES. */
  readonly nodesEnv: string;
  readonly nodes: RedisClusterNode[];
  /** Ports of the current masters, read from the cluster itself. */
  masters(): Promise<number[]>;
  /** kill -9 of the node on `port` (a crash: no failover command, no final save). */
  crash(port: number): Promise<void>;
  /** Starts the node on `port` again with its nodes.conf: it rejoins, as a replica if it lost its slots. */
  restart(port: number): Promise<void>;
  /**
   * Resolves once every live node reports cluster_state:ok, 3 masters (`notMaster` not among them)
   * each with an online replica; rejects after `ms`.
   */
  waitHealthy(ms: number, notMaster?: number): Promise<void>;
  stop(): Promise<void>;
}

function need(bin: string): void {
  if (!(process.env.PATH ?? '').split(':').some((d) => existsSync(join(d, bin)))) {
    throw new Error(`${bin} is not on PATH: the Redis Cluster tests need it (Debian: apt-get install -y redis-server redis-tools)`);
  }
}

async function cli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 5000 });
  return stdout;
}



/**
 * Node timeout 1 s: a dead master is declared failed and its replica promoted within a few
 * seconds (production keeps the default 15 s; the recovery time scales with it).
 */
export async function startRedisCluster(nodeTimeoutMs = 1000): Promise<RedisClusterHandle> {
  need('redis-server');
  need('redis-cli');
  const dir = mkdtempSync(join(tmpdir(), 'redis-cluster-'));
  const nodes: RedisClusterNode[] = [];
  const spawners = new Map<number, () => ChildProcess>();
  try {
    for (let i = 0; i < 6; i++) {
      const port = await freePort();
      const busPort = await freePort();
      const d = join(dir, String(i));
      mkdirSync(d);
      const spawnNode = () => spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--dir', d, '--save', '', '--appendonly', 'no',
          '--cluster-enabled', 'yes', '--cluster-port', String(busPort), '--cluster-config-file', 'nodes.conf',
          '--cluster-node-timeout', String(nodeTimeoutMs),
          // Replicas sync at once (the default waits 5 s to gather several replicas into one transfer).
          '--repl-diskless-sync-delay', '0'],
        { stdio: 'ignore', cwd: d },
      );
      spawners.set(port, spawnNode);
      nodes.push({ port, child: spawnNode() });
    }
    for (const n of nodes) await until(() => redisAnswers(`redis://127.0.0.1:${n.port}`), 10_000, `redis-server on ${n.port}`);
    await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '1', '--cluster-yes'], { timeout: 30_000 });
  } catch (e) {
    await Promise.all(nodes.map((n) => killNow(n.child)));
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const live = () => nodes.filter((n) => !exited(n.child));
  const masters = async () => {
    const out = await cli(live()[0]!.port, 'cluster', 'nodes');
    return out
      .split('\n')
      .filter((l) => / master /.test(l.replace(/,/g, ' ')) && !/fail/.test(l))
      .map((l) => Number(/:(\d+)@/.exec(l)![1]));
  };
  const handle: RedisClusterHandle = {
    nodesEnv: nodes.map((n) => `127.0.0.1:${n.port}`).join(','),
    nodes,
    masters,
    crash: async (port) => killNow(nodes.find((n) => n.port === port)!.child),
    restart: async (port) => {
      nodes.find((n) => n.port === port)!.child = spawners.get(port)!();
      await until(() => redisAnswers(`redis://127.0.0.1:${port}`), 10_000, `redis-server on ${port}`);
    },
    waitHealthy: async (ms, notMaster) =>
      until(
        async () => {
          for (const n of live()) {
            const info = await cli(n.port, 'cluster', 'info').catch(() => '');
            if (!info.includes('cluster_state:ok')) return false;
          }
          const m = await masters().catch(() => []);
          if (m.length !== 3 || (notMaster !== undefined && m.includes(notMaster))) return false;
          // Every master's replica has finished its first sync (else WAIT counts none).
          for (const port of m) {
            const repl = await cli(port, 'info', 'replication').catch(() => '');
            if (!/slave0:.*state=online/.test(repl)) return false;
          }
          return true;
        },
        ms,
        'the Redis Cluster',
      ),
    stop: async () => {
      await Promise.all(nodes.map((n) => killNow(n.child)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  // `--cluster create` returns once the slots are assigned; gossip may still be converging.
  await handle.waitHealthy(20_000);
  return handle;
}

