import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Finds a Redis and a NATS (with JetStream) for the integration tests, in this order:
 *  1. REDIS_URL / NATS_URL from the environment;
 *  2. servers on the default local ports (6379, 4222);
 *  3. containers through testcontainers, when a Docker engine answers;
 *  4. `redis-server` / `nats-server` binaries spawned on free ports.
 * If none works, it fails with a message that says how to fix it; it never skips silently.
 */
export interface Service {
  url: string;
  how: string;
  stop(): Promise<void>;
}

const noop = async (): Promise<void> => undefined;

function hostPort(url: string, defaultPort: number): { host: string; port: number } {
  const u = new URL(url.split(',')[0]!.trim());
  return { host: u.hostname || '127.0.0.1', port: Number(u.port || defaultPort) };
}

/** Opens a TCP connection, optionally writes `send`, and resolves with the first bytes received. */
function talk(host: string, port: number, send: string | undefined, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port });
    const t = setTimeout(() => {
      s.destroy();
      reject(new Error('timeout'));
    }, timeoutMs);
    let buf = '';
    s.on('connect', () => send && s.write(send));
    s.on('data', (d) => {
      buf += d.toString();
      if (buf.includes('\r\n')) {
        clearTimeout(t);
        s.destroy();
        resolve(buf);
      }
    });
    s.on('error', (e) => {
      clearTimeout(t);
      reject(e);
    });
  });
}

export async function redisAnswers(url: string): Promise<boolean> {
  const { host, port } = hostPort(url, 6379);
  return talk(host, port, 'PING\r\n').then((r) => r.startsWith('+PONG'), () => false);
}

/** True when a NATS server answers and has JetStream enabled. */
export async function natsAnswers(url: string): Promise<boolean> {
  const { host, port } = hostPort(url, 4222);
  return talk(host, port, undefined).then(
    (r) => r.startsWith('INFO ') && (JSON.parse(r.slice(5).split('\r\n')[0]!) as { jetstream?: boolean }).jetstream === true,
    () => false,
  );
}

/**
 * Ports handed out below the kernel's ephemeral range (32768-60999 on Linux): `listen(0)` and
 * outgoing connections never take those, so a port chosen here stays free until the process that
 * is given it binds it, even when that is seconds later. (A `listen(0)` port, closed and passed
 * on, once went to another test file's listener meanwhile: the readiness poll then reached the
 * wrong process and the test met ECONNREFUSED.) Each vitest worker, and the main process
 * (globalSetup), draws from its own slice, so parallel test files never pick the same port.
 */
const SLICE = 900;
const sliceStart = 21_000 + (Number(process.env.VITEST_POOL_ID ?? 0) % 12) * SLICE;
let nextInSlice = Math.floor(Math.random() * SLICE);

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      // SIP edges also bind UDP on the port they are given.
      const udp = dgram.createSocket('udp4');
      udp.once('error', () => srv.close(() => resolve(false)));
      udp.bind(port, '127.0.0.1', () => udp.close(() => srv.close(() => resolve(true))));
    });
  });
}

/** A TCP and UDP port on 127.0.0.1 that nothing holds, from this worker's slice. */
export async function freePort(): Promise<number> {
  for (let tried = 0; tried < SLICE; tried++) {
    const port = sliceStart + (nextInSlice++ % SLICE);
    if (await bindable(port)) return port;
  }
  throw new Error(`no free port in ${sliceStart}-${sliceStart + SLICE - 1}: stop whatever holds them (ss -ltnp)`);
}

async function waitFor(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not answer within ${ms} ms`);
}

function onPath(bin: string): boolean {
  return (process.env.PATH ?? '').split(':').some((d) => existsSync(join(d, bin)));
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 3000).unref();
  });
}

/** A `redis-server` on a port of its own; tests that stop and restart Redis use this. */
export async function spawnRedis(port?: number): Promise<Service & { port: number; child: ChildProcess }> {
  const p = port ?? (await freePort());
  const child = spawn('redis-server', ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  const url = `redis://127.0.0.1:${p}`;
  await waitFor(() => redisAnswers(url), 10_000, `redis-server on port ${p}`);
  return { url, port: p, child, how: `spawned redis-server on port ${p}`, stop: () => stopChild(child) };
}

export async function spawnNats(): Promise<Service> {
  const p = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'nats-js-'));
  const child = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(p), '-js', '-sd', dir], { stdio: 'ignore' });
  const url = `nats://127.0.0.1:${p}`;
  await waitFor(() => natsAnswers(url), 10_000, `nats-server on port ${p}`);
  return {
    url,
    how: `spawned nats-server on port ${p}`,
    stop: async () => {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function dockerEngine(): Promise<boolean> {
  if (!process.env.DOCKER_HOST && !existsSync('/var/run/docker.sock')) return false;
  try {
    const tc = await import('testcontainers');
    await tc.getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

async function container(image: string, port: number, cmd: string[], scheme: string): Promise<Service> {
  const { GenericContainer } = await import('testcontainers');
  let c = new GenericContainer(image).withExposedPorts(port);
  if (cmd.length > 0) c = c.withCommand(cmd);
  const started = await c.start();
  return {
    url: `${scheme}://${started.getHost()}:${started.getMappedPort(port)}`,
    how: `container ${image}`,
    stop: async () => void (await started.stop()),
  };
}

const HOW_TO_FIX =
  'Start one (Debian: `apt-get install -y redis-server nats-server`, then `redis-server --daemonize yes` and ' +
  '`nats-server -js &`), or set REDIS_URL / NATS_URL, or run a Docker engine for testcontainers.';

export async function resolveRedis(): Promise<Service> {
  if (process.env.REDIS_URL) {
    if (await redisAnswers(process.env.REDIS_URL)) return { url: process.env.REDIS_URL, how: 'REDIS_URL', stop: noop };
    throw new Error(`REDIS_URL=${process.env.REDIS_URL} does not answer PING. ${HOW_TO_FIX}`);
  }
  const local = 'redis://127.0.0.1:6379';
  if (await redisAnswers(local)) return { url: local, how: 'local Redis on 6379', stop: noop };
  if (await dockerEngine()) return container('redis:7-alpine', 6379, [], 'redis');
  if (onPath('redis-server')) return spawnRedis();
  throw new Error(`No Redis for the integration tests. ${HOW_TO_FIX}`);
}

export async function resolveNats(): Promise<Service> {
  if (process.env.NATS_URL) {
    if (await natsAnswers(process.env.NATS_URL)) return { url: process.env.NATS_URL, how: 'NATS_URL', stop: noop };
    throw new Error(`NATS_URL=${process.env.NATS_URL} does not answer with JetStream enabled. ${HOW_TO_FIX}`);
  }
  const local = 'nats://127.0.0.1:4222';
  if (await natsAnswers(local)) return { url: local, how: 'local NATS on 4222', stop: noop };
  if (await dockerEngine()) return container('nats:2.10-alpine', 4222, ['-js'], 'nats');
  if (onPath('nats-server')) return spawnNats();
  throw new Error(`No NATS server with JetStream for the integration tests. ${HOW_TO_FIX}`);
}
