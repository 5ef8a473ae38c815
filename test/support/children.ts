import type { ChildProcess } from 'node:child_process';

/** Helpers for the servers the high-availability tests start and crash. */
export function exited(c: ChildProcess): boolean {
  return c.exitCode !== null || c.signalCode !== null;
}

/** kill -9 (a crash: no shutdown, no final save); resolves once the process is gone. */
export function killNow(c: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (exited(c)) return resolve();
    c.once('exit', () => resolve());
    c.kill('SIGKILL');
  });
}

/** Polls `check` until it holds; rejects naming `what` after `ms`. */
export async function until(check: () => Promise<boolean>, ms: number, what: string, stepMs = 50): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  throw new Error(`${what} was not ready within ${ms} ms`);
}
