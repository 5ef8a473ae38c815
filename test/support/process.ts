import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface Proc {
  child: ChildProcess;
  output(): string;
  /** Sends `signal` and resolves with the exit code and how long the exit took. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; ms: number }>;
  exited: Promise<number | null>;
}

/** Runs `node <script>` from the repository root with `env` added to a clean environment. */
export function startNode(script: string, env: Record<string, string>): Proc {
  const child = spawn(process.execPath, [script], {
    cwd: repoRoot,
    // SIP on ephemeral ports, so processes of parallel tests never collide on 5060/5061.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'warn', SIP_PORT: '0', SIP_TLS_PORT: '0', XMPP_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += String(d)));
  child.stderr!.on('data', (d) => (out += String(d)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    exited,
    stop: async (signal = 'SIGTERM') => {
      const t0 = Date.now();
      if (child.exitCode === null) child.kill(signal);
      const code = await exited;
      return { code, ms: Date.now() - t0 };
    },
  };
}

/** GETs `url`; the status code, or 0 when nothing answers. */
export async function httpStatus(url: string): Promise<number> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await r.arrayBuffer();
    return r.status;
  } catch {
    return 0;
  }
}

/** Polls `url` until it answers `status`; resolves with the time it took, rejects after `ms`. */
export async function waitForStatus(url: string, status: number, ms: number): Promise<number> {
  const t0 = Date.now();
  let last = 0;
  while (Date.now() - t0 < ms) {
    last = await httpStatus(url);
    if (last === status) return Date.now() - t0;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} answered ${last}, not ${status}, for ${ms} ms`);
}
