import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The fix-it message when the Debian client is missing: the test fails with it, it never skips. */
export const BARESIP_MISSING = 'baresip is not installed: run `apt-get install -y baresip-core` (Debian; .ci/run installs it)';

export function baresipPath(): string | undefined {
  const r = spawnSync('sh', ['-c', 'command -v baresip'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

async function canBind(port: number): Promise<boolean> {
  const s = net.createServer();
  const ok = await new Promise<boolean>((r) => s.once('error', () => r(false)).listen(port, '127.0.0.1', () => r(true)));
  if (ok) await new Promise((r) => s.close(r));
  return ok;
}

/**
 * A loopback port that is free with the next one: baresip's `sip_listen` port takes UDP and TCP,
 * and TLS takes the port after it (bound and released; baresip binds them right after).
 */
export async function freePortPair(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 20_000 + Math.floor(Math.random() * 40_000);
    if ((await canBind(port)) && (await canBind(port + 1))) return port;
  }
  throw new Error('no two free consecutive ports on 127.0.0.1');
}

export interface BaresipOptions {
  /** The server's SIP TCP port on 127.0.0.1. */
  serverPort: number;
  user: string;
  password: string;
  domain: string;
  /** Contacts whose presence baresip subscribes to (`;presence=p2p`, its presence module). */
  watch: string[];
}

/**
 * Debian's baresip, headless: its own config dir (`-f`), no audio devices, the account, contact and
 * presence modules, SIP trace on (`-s`) so tests read what went over the wire as well as what
 * baresip concluded from it. Everything it prints is kept in {@link output}.
 */
export class Baresip {
  output = '';
  private constructor(private readonly child: ChildProcess) {
    // Its terminal colours (ANSI escapes) are dropped: tests read the text.
    // eslint-disable-next-line no-control-regex
    const text = (d: Buffer) => d.toString('utf8').replace(/\x1b\[[0-9;]*m/g, '');
    child.stdout!.on('data', (d: Buffer) => (this.output += text(d)));
    child.stderr!.on('data', (d: Buffer) => (this.output += text(d)));
  }

  static async start(o: BaresipOptions): Promise<Baresip> {
    const bin = baresipPath();
    if (!bin) throw new Error(BARESIP_MISSING);
    const dir = mkdtempSync(join(tmpdir(), 'baresip-'));
    const listen = await freePortPair();
    writeFileSync(
      join(dir, 'config'),
      [
        'poll_method epoll',
        `sip_listen 127.0.0.1:${listen}`,
        'sip_trans_def tcp',
        'module_path /usr/lib/baresip/modules',
        'module g711.so',
        'module_app account.so',
        'module_app contact.so',
        'module_app presence.so',
        'module_app menu.so',
        'audio_player nothing',
        'audio_source nothing',
        'audio_alert nothing',
        '',
      ].join('\n'),
    );
    // The stock account syntax: the AOR, the password, the server as outbound proxy over TCP.
    writeFileSync(join(dir, 'accounts'), `<sip:${o.user}@${o.domain};transport=tcp>;auth_pass=${o.password};outbound="sip:127.0.0.1:${o.serverPort};transport=tcp";regint=600\n`);
    writeFileSync(join(dir, 'contacts'), o.watch.map((c) => `"${c}" <${c}>;presence=p2p\n`).join(''));
    const child = spawn(bin, ['-f', dir, '-s'], { stdio: ['pipe', 'pipe', 'pipe'] });
    return new Baresip(child);
  }

  /** Waits until baresip has printed something matching `re` (the match), or fails with what it printed. */
  async waitFor(re: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const m = re.exec(this.output);
      if (m) return m;
      if (Date.now() > end) throw new Error(`baresip did not print ${re} within ${timeoutMs} ms; it printed:\n${this.output.slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(t);
  }
}
