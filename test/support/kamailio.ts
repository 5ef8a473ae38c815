import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The fix-it message when Kamailio is missing: the test fails with it, it never skips. */
export const KAMAILIO_MISSING = 'kamailio is not installed: run `apt-get install -y kamailio kamailio-presence-modules` (Debian; .ci/run installs them)';

/** The kamailio binary, when it and its presence module are installed. */
export function kamailioPath(): string | undefined {
  const r = spawnSync('sh', ['-c', 'command -v kamailio || ls /usr/sbin/kamailio'], { encoding: 'utf8' });
  return r.status === 0 && modulesDir() !== undefined ? r.stdout.trim().split('\n')[0] : undefined;
}

/** Debian installs modules under the multiarch directory (x86_64-linux-gnu, aarch64-linux-gnu, ...). */
function modulesDir(): string | undefined {
  for (const arch of readdirSync('/usr/lib')) {
    const dir = `/usr/lib/${arch}/kamailio/modules/`;
    if (existsSync(`${dir}presence.so`)) return dir;
  }
  return undefined;
}
const DBTEXT = '/usr/share/kamailio/dbtext/kamailio';

/**
 * The configuration of a Kamailio presence server for `domain` (Debian's presence and presence_xml
 * modules, db_text tables in its own directory): it registers its users, takes PUBLISH and SUBSCRIBE
 * for them, relays MESSAGE to them, and sends requests for `partnerDomain` to our edge with
 * Record-Route (so that the NOTIFYs of those subscriptions come back through it).
 */
function config(o: { port: number; domain: string; db: string; partnerDomain: string; partnerPort: number }): string {
  return `#!KAMAILIO
debug=2
log_stderror=yes
children=2
tcp_children=2
listen=tcp:127.0.0.1:${o.port}
listen=udp:127.0.0.1:${o.port}
alias="${o.domain}"
mpath="${modulesDir()}"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "db_text.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "presence.so"
loadmodule "presence_xml.so"
modparam("usrloc", "db_mode", 0)
modparam("presence", "db_url", "text://${o.db}")
modparam("presence_xml", "db_url", "text://${o.db}")
modparam("presence_xml", "force_active", 1)
modparam("presence", "server_address", "sip:127.0.0.1:${o.port};transport=tcp")
request_route {
  if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
  if (has_totag()) {
    if (loose_route() || !uri==myself) { t_relay(); exit; }
    if (is_method("SUBSCRIBE")) { route(PRESENCE); exit; }
    if (is_method("ACK")) exit;
    sl_send_reply("404", "No Such Dialog"); exit;
  }
  if (is_method("REGISTER")) { save("location"); exit; }
  if ($rd == "${o.partnerDomain}") { record_route(); $du = "sip:127.0.0.1:${o.partnerPort};transport=tcp"; t_relay(); exit; }
  if (is_method("PUBLISH|SUBSCRIBE")) { route(PRESENCE); exit; }
  if (is_method("MESSAGE")) { if (!lookup("location")) { sl_send_reply("480", "Temporarily Unavailable"); exit; } t_relay(); exit; }
  sl_send_reply("404", "Not Here");
}
route[PRESENCE] {
  if (!t_newtran()) { sl_reply_error(); exit; }
  if (is_method("PUBLISH")) handle_publish(); else handle_subscribe();
  t_release();
}
`;
}

async function listening(port: number, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        r(true);
      });
      s.once('error', () => r(false));
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/** Debian's Kamailio as a presence server of its own domain, started in the foreground on a free port. */
export class Kamailio {
  output = '';
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    child.stdout!.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
  }

  static async start(o: { port: number; domain: string; partnerDomain: string; partnerPort: number }): Promise<Kamailio> {
    const bin = kamailioPath();
    if (!bin) throw new Error(KAMAILIO_MISSING);
    const dir = mkdtempSync(join(tmpdir(), 'kamailio-'));
    const db = join(dir, 'db');
    cpSync(DBTEXT, db, { recursive: true });
    const cfg = join(dir, 'kamailio.cfg');
    writeFileSync(cfg, config({ ...o, db }));
    // -DD: stay in the foreground (children forked); -E: log to stderr; own pid file and runtime dir.
    const child = spawn(bin, ['-f', cfg, '-DD', '-E', '-P', join(dir, 'kamailio.pid'), '-Y', dir, '-w', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    const k = new Kamailio(child, o.port);
    if (!(await listening(o.port, 10_000))) {
      await k.stop();
      throw new Error(`kamailio did not listen on ${o.port}:\n${k.output.slice(-3000)}`);
    }
    return k;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  }
}
