import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killNow, until } from './children.js';
import { freePort, redisAnswers } from './infra.js';

/**
 * A Redis master, one replica and one Sentinel watching them (quorum 1), from the Debian
 * `redis-server` (which runs as a Sentinel with `--sentinel`), on loopback ports in a temporary directory.
 */
export interface RedisSentinelHandle {
  readonly master: string;
  /** `host:port` of the Sentinel: the value of REDIS_SENTINELS. */
  readonly sentinel: string;
  readonly ports: { master: number; replica: number; sentinel: number };
  crashMaster(): Promise<void>;
  stop(): Promise<void>;
}



export async function startRedisSentinel(master = 'presence'): Promise<RedisSentinelHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'redis-sentinel-'));
  const ports = { master: await freePort(), replica: await freePort(), sentinel: await freePort() };
  const server = (name: string, port: number, extra: string[]) => {
    const d = join(dir, name);
    mkdirSync(d);
    return spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', d, '--save', '', '--appendonly', 'no', '--repl-diskless-sync-delay', '0', ...extra], { stdio: 'ignore', cwd: d });
  };
  const children: ChildProcess[] = [];
  try {
    children.push(server('master', ports.master, []));
    children.push(server('replica', ports.replica, ['--replicaof', '127.0.0.1', String(ports.master)]));
    for (const p of [ports.master, ports.replica]) await until(() => redisAnswers(`redis://127.0.0.1:${p}`), 10_000, `redis-server on ${p}`);
    // The Sentinel rewrites its configuration file: it must be a file of its own, writable.
    const conf = join(dir, 'sentinel.conf');
    writeFileSync(
      conf,
      [`port ${ports.sentinel}`, 'bind 127.0.0.1', `dir ${dir}`, `sentinel monitor ${master} 127.0.0.1 ${ports.master} 1`, `sentinel down-after-milliseconds ${master} 1000`, `sentinel failover-timeout ${master} 5000`, ''].join('\n'),
    );
    children.push(spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore', cwd: dir }));
    await until(() => redisAnswers(`redis://127.0.0.1:${ports.sentinel}`), 10_000, `redis sentinel on ${ports.sentinel}`);
  } catch (e) {
    await Promise.all(children.map(killNow));
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    master,
    sentinel: `127.0.0.1:${ports.sentinel}`,
    ports,
    crashMaster: () => killNow(children[0]!),
    stop: async () => {
      await Promise.all(children.map(killNow));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
