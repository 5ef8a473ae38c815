import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, natsAnswers, redisAnswers } from './infra.js';

/**
 * A Redis or NATS server of the test's own, on a fixed port and data directory, so the test can
 * stop and restart it without touching the machine's shared servers (other suites use those).
 */
export interface OwnServer {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
}

function needBinary(bin: string): void {
  const found = (process.env.PATH ?? '').split(':').some((d) => existsSync(join(d, bin)));
  if (!found) throw new Error(`${bin} is not on PATH: the restart tests need it (Debian: apt-get install -y redis-server nats-server)`);
}

function kill(child: ChildProcess | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL'); // a crash, not a clean shutdown: no final save
  });
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const end = Date.now() + 10_000;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not answer within 10 s`);
}

async function ownServer(bin: string, args: (port: number, dir: string) => string[], scheme: string, answers: (url: string) => Promise<boolean>): Promise<OwnServer> {
  needBinary(bin);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), `${bin}-`));
  const url = `${scheme}://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const server: OwnServer = {
    url,
    port,
    start: async () => {
      child = spawn(bin, args(port, dir), { stdio: 'ignore', cwd: dir });
      await until(() => answers(url), `${bin} on port ${port}`);
    },
    stop: () => kill(child),
  };
  await server.start();
  return server;
}

/** A redis-server; `persistent`: append-only file with fsync on every write (what production needs). */
export function ownRedis(persistent: boolean): Promise<OwnServer> {
  return ownServer(
    'redis-server',
    (port, dir) => ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', ...(persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'])],
    'redis',
    redisAnswers,
  );
}

/** A nats-server with JetStream, its store in a directory of its own (kept over restarts). */
export function ownNats(): Promise<OwnServer> {
  return ownServer('nats-server', (port, dir) => ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], 'nats', natsAnswers);
}
