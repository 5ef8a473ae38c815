import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Debian's interpreter: `python3` on PATH may be another one without python3-slixmpp. */
const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./slixmpp-client.py', import.meta.url));

/** Fails (never skips) when the real client is missing, with the fix. */
export function requireSlixmpp(): void {
  const r = spawnSync(PYTHON, ['-c', 'import slixmpp; print(slixmpp.__version__)'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3-slixmpp is not installed for ${PYTHON}: run \`apt-get install -y python3-slixmpp\` (.ci/run installs it)`);
}

export interface XmppEvent {
  event: string;
  [k: string]: unknown;
}

/** A real XMPP client (slixmpp) driven line by line: commands in, events out. */
export class Slixmpp {
  readonly events: XmppEvent[] = [];
  private readonly waiters: { match: (e: XmppEvent) => boolean; resolve: (e: XmppEvent) => void }[] = [];
  private stderr = '';

  private constructor(private readonly proc: ChildProcessWithoutNullStreams) {
    let buf = '';
    proc.stdout.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line.trim() === '') continue;
        const e = JSON.parse(line) as XmppEvent;
        this.events.push(e);
        for (const w of [...this.waiters]) {
          if (w.match(e)) {
            this.waiters.splice(this.waiters.indexOf(w), 1);
            w.resolve(e);
          }
        }
      }
    });
    proc.stderr.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString('utf8')).slice(-4000);
    });
  }

  /** Starts the client: `jid` with `password`, SASL `mechanism`, trusting `certificate` (PEM) as its CA. */
  static start(o: { jid: string; password: string; port: number; mechanism: string; certificate: string }): Slixmpp {
    const ca = join(tmpdir(), `xmpp-ca-${process.pid}-${Math.random().toString(36).slice(2)}.pem`);
    writeFileSync(ca, o.certificate);
    const proc = spawn(PYTHON, [SCRIPT, o.jid, o.password, '127.0.0.1', String(o.port), o.mechanism, ca], { stdio: ['pipe', 'pipe', 'pipe'] });
    return new Slixmpp(proc);
  }

  /** The first event (already seen or coming) that matches, within `timeoutMs`. */
  next(match: (e: XmppEvent) => boolean, timeoutMs = 10_000, from = 0): Promise<XmppEvent> {
    const seen = this.events.slice(from).find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching XMPP event in ${timeoutMs} ms; events: ${JSON.stringify(this.events).slice(-1500)}; stderr: ${this.stderr.slice(-1500)}`)), timeoutMs);
      this.waiters.push({ match, resolve: (e) => (clearTimeout(timer), resolve(e)) });
    });
  }

  send(cmd: Record<string, unknown>): void {
    this.proc.stdin.write(`${JSON.stringify(cmd)}\n`);
  }

  get mark(): number {
    return this.events.length;
  }

  stop(): void {
    this.proc.kill('SIGTERM');
  }
}
