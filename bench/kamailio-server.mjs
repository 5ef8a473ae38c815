// Kamailio 5.6 (Debian `kamailio kamailio-presence-modules`) as the reference presence server of
// the side-by-side (issue 13): a kamailio.cfg written here (presence + presence_xml, everything in
// memory: subscriptions `subs_db_mode 0`, publications `publ_cache 2`; db_text only because the
// presence module refuses to act as a server without a db_url), no authentication, TCP on one
// port, started in the foreground (`-DD -E`) and killed by the caller.
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const KAMAILIO_FIX = 'Kamailio is missing: apt-get install -y kamailio kamailio-presence-modules';
const MODULES = '/usr/lib/x86_64-linux-gnu/kamailio/modules';
const DBTEXT_SCHEMA = '/usr/share/kamailio/dbtext/kamailio';
/** The db_text tables the presence modules check at start (their `version` rows come along). */
const TABLES = ['presentity', 'active_watchers', 'watchers', 'xcap'];

/** `kamailio -v`'s version, or a thrown error with the fix-it when the binary or a module is missing. */
export function kamailioVersion() {
  let out;
  try {
    out = execFileSync('kamailio', ['-v'], { encoding: 'utf8' });
  } catch {
    throw new Error(KAMAILIO_FIX);
  }
  for (const m of ['presence.so', 'presence_xml.so', 'db_text.so']) if (!existsSync(path.join(MODULES, m))) throw new Error(`${m} not in ${MODULES}. ${KAMAILIO_FIX}`);
  return /version: kamailio (\S+)/.exec(out)?.[1] ?? out.split('\n')[0];
}

/**
 * The configuration: `port` the TCP listener, `dbDir` the db_text directory, `workers` the TCP
 * worker processes. REGISTER goes to an in-memory location table (the load model registers every
 * UA), PUBLISH and SUBSCRIBE to the presence module; NOTIFYs reuse the watcher's TCP connection.
 */
export function kamailioCfg({ port, dbDir, workers = 4 }) {
  const db = `text://${dbDir}`;
  return `#!KAMAILIO
# Written by bench/kamailio-server.mjs for the side-by-side of issue 13.
debug=-1
log_stderror=yes
memdbg=5
memlog=5
children=${workers}
tcp_children=${workers}
disable_tcp=no
auto_aliases=no
listen=tcp:127.0.0.1:${port}
tcp_connection_lifetime=7200
tcp_max_connections=65536
tcp_accept_no_cl=no
mpath="${MODULES}/"

loadmodule "db_text.so"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "textops.so"
loadmodule "maxfwd.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "presence.so"
loadmodule "presence_xml.so"

modparam("usrloc", "db_mode", 0)
modparam("presence", "db_url", "${db}")
modparam("presence", "subs_db_mode", 0)
modparam("presence", "publ_cache", 2)
modparam("presence", "max_expires", 7200)
modparam("presence", "server_address", "sip:127.0.0.1:${port};transport=tcp")
modparam("presence_xml", "db_url", "${db}")
modparam("presence_xml", "force_active", 1)
modparam("presence_xml", "integrated_xcap_server", 1)

request_route {
  if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
  if (is_method("REGISTER")) { save("location"); exit; }
  if (is_method("PUBLISH|SUBSCRIBE")) {
    if (!t_newtran()) { sl_reply_error(); exit; }
    if (is_method("PUBLISH")) handle_publish(); else handle_subscribe();
    t_release();
    exit;
  }
  sl_send_reply("405", "Method Not Allowed");
}
`;
}

/** Writes the configuration and the db_text tables into `dir`; returns the configuration's path. */
export function writeKamailioFiles(dir, port, workers) {
  const dbDir = path.join(dir, 'db');
  mkdirSync(dbDir, { recursive: true });
  for (const t of TABLES) copyFileSync(path.join(DBTEXT_SCHEMA, t), path.join(dbDir, t));
  const versions = readFileSync(path.join(DBTEXT_SCHEMA, 'version'), 'utf8').split('\n');
  writeFileSync(path.join(dbDir, 'version'), `${[versions[0], ...versions.filter((l) => TABLES.some((t) => l.startsWith(`${t}:`)))].join('\n')}\n`);
  const cfg = path.join(dir, 'kamailio.cfg');
  writeFileSync(cfg, kamailioCfg({ port, dbDir, workers }));
  return cfg;
}

/** Kamailio's processes: the main one and every process it forked. */
export function processTree(mainPid) {
  const pids = [mainPid];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === mainPid) pids.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/**
 * Starts Kamailio on `port` in the foreground; resolves once it answers on the port. Its stderr
 * goes to `dir/kamailio.log` (quoted when it fails to start).
 */
export async function startKamailio({ dir, port, workers = 4, shmMegabytes = 512 }) {
  const version = kamailioVersion();
  const cfg = writeKamailioFiles(dir, port, workers);
  const check = spawn('kamailio', ['-c', '-f', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
  let checkErr = '';
  check.stderr.on('data', (d) => (checkErr += d));
  const code = await new Promise((r) => check.once('exit', r));
  if (code !== 0) throw new Error(`kamailio -c refused ${cfg}:\n${checkErr.slice(-2000)}`);
  const log = path.join(dir, 'kamailio.log');
  const { openSync } = await import('node:fs');
  const child = spawn('kamailio', ['-DD', '-E', '-f', cfg, '-m', String(shmMegabytes), '-M', '16', '-Y', dir, '-P', path.join(dir, 'kamailio.pid')], { stdio: ['ignore', 'ignore', openSync(log, 'a')] });
  const net = await import('node:net');
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`kamailio exited with ${child.exitCode}:\n${readFileSync(log, 'utf8').slice(-2000)}`);
    const up = await new Promise((r) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        r(true);
      });
      s.once('error', () => r(false));
    });
    if (up) break;
    if (Date.now() > deadline) throw new Error(`kamailio not listening on ${port} within 15 s:\n${readFileSync(log, 'utf8').slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, version, cfg, log, pids: () => processTree(child.pid) };
}
