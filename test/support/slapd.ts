import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A private OpenLDAP server for one test file: its own port, config, schema and data, never the system one. */
export interface Slapd {
  readonly url: string;
  /** `ldaps://` on a port of its own, when started with a certificate. */
  readonly ldapsUrl?: string;
  readonly baseDn: string;
  readonly adminDn: string;
  readonly adminPassword: string;
  stop(): Promise<void>;
}

const SLAPD = ['/usr/sbin/slapd', '/usr/local/libexec/slapd'].find((p) => existsSync(p));
const SLAPADD = ['/usr/sbin/slapadd', '/usr/local/sbin/slapadd'].find((p) => existsSync(p));
const FIX = 'Install OpenLDAP: `apt-get install -y slapd ldap-utils` (.ci/run does this), then run the tests again.';

/**
 * The attributes Skype for Business adds to AD (msRTCSIP-PrimaryUserAddress), AD's company, and
 * the HA1 attributes this server reads, as a test schema (private OIDs, experimental arc).
 */
const SCHEMA = `
attributetype ( 1.3.6.1.4.1.32473.15.1.1 NAME 'msRTCSIP-PrimaryUserAddress' EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.32473.15.1.2 NAME 'company' EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.32473.15.1.3 NAME 'presenceHA1' EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.32473.15.1.4 NAME 'presenceHA1SHA256' EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.32473.15.1.5 NAME 'presencePool' EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
objectclass ( 1.3.6.1.4.1.32473.15.2.1 NAME 'presenceUser' AUXILIARY MAY ( msRTCSIP-PrimaryUserAddress $ company $ presenceHA1 $ presenceHA1SHA256 $ presencePool $ c ) )
`;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const c = connect(port, '127.0.0.1');
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });

/** Starts slapd on a free loopback port with `ldif` loaded (slapadd, before it starts). */
export async function startSlapd(ldif: string, baseDn = 'dc=contoso,dc=com', tls?: { cert: string; key: string }): Promise<Slapd> {
  if (!SLAPD || !SLAPADD) throw new Error(`slapd is not installed. ${FIX}`);
  const dir = mkdtempSync(join(tmpdir(), 'slapd-'));
  mkdirSync(join(dir, 'data'));
  const adminDn = `cn=admin,${baseDn}`;
  const adminPassword = 'test-admin-secret';
  writeFileSync(join(dir, 'presence.schema'), SCHEMA);
  const conf = join(dir, 'slapd.conf');
  writeFileSync(
    conf,
    [
      'include /etc/ldap/schema/core.schema',
      'include /etc/ldap/schema/cosine.schema',
      'include /etc/ldap/schema/inetorgperson.schema',
      `include ${join(dir, 'presence.schema')}`,
      // StartTLS on the ldap:// port and ldaps:// on a second one, with the test's certificate.
      ...(tls ? [`TLSCertificateFile ${join(dir, 'cert.pem')}`, `TLSCertificateKeyFile ${join(dir, 'key.pem')}`] : []),
      'modulepath /usr/lib/ldap',
      'moduleload back_mdb',
      `pidfile ${join(dir, 'slapd.pid')}`,
      'database mdb',
      'maxsize 10485760',
      `suffix "${baseDn}"`,
      `rootdn "${adminDn}"`,
      `rootpw ${adminPassword}`,
      `directory ${join(dir, 'data')}`,
      // Anonymous reads, as a directory open to the enterprise's network is; writes by the admin only.
      'access to * by dn.exact="' + adminDn + '" write by * read',
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'data.ldif'), ldif);
  if (tls) {
    writeFileSync(join(dir, 'cert.pem'), tls.cert);
    writeFileSync(join(dir, 'key.pem'), tls.key, { mode: 0o600 });
  }
  const add = spawnSync(SLAPADD, ['-f', conf, '-l', join(dir, 'data.ldif')], { encoding: 'utf8' });
  if (add.status !== 0) throw new Error(`slapadd failed (${add.status}): ${add.stderr.trim()}. ${FIX}`);
  const port = await freePort();
  const tlsPort = tls ? await freePort() : undefined;
  const urls = [`ldap://127.0.0.1:${port}/`, ...(tlsPort ? [`ldaps://127.0.0.1:${tlsPort}/`] : [])].join(' ');
  const child: ChildProcess = spawn(SLAPD, ['-h', urls, '-f', conf, '-d', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-2000)));
  for (let until = Date.now() + 10_000; !(await accepts(port)); ) {
    if (child.exitCode !== null || Date.now() > until) {
      child.kill('SIGKILL');
      throw new Error(`slapd did not start on port ${port}: ${stderr.trim()}. ${FIX}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `ldap://127.0.0.1:${port}`,
    ...(tlsPort ? { ldapsUrl: `ldaps://127.0.0.1:${tlsPort}` } : {}),
    baseDn,
    adminDn,
    adminPassword,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
