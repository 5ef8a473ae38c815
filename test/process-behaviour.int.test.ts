import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { selfSignedCertificate } from '@presence/sip-edge';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from './support/infra.js';
import { repoRoot, startNode, waitForStatus, type Proc } from './support/process.js';
import { authorize, buildRequest, TestClient } from './support/sip-client.js';

const EMBEDDED = 'services/embedded/dist/main.js';
const PUBLICATION = 'services/publication/dist/main.js';

/** Runs `node script` to its exit; its exit code and stderr. */
function runToExit(script: string, env: Record<string, string>): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'warn', SIP_PORT: '0', SIP_TLS_PORT: '0', HTTP_PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.stdout.on('data', (d) => (stdout += String(d)));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, stdout });
    });
  });
}

/** A TCP port held by this test process (so the server cannot bind it). */
async function heldPort(): Promise<{ port: number; release(): Promise<void> }> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '0.0.0.0', () => r()));
  return { port: (srv.address() as net.AddressInfo).port, release: () => new Promise((r) => srv.close(() => r())) };
}

/** A file with `content` in a fresh temporary directory; its path. */
function tmpFile(name: string, content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'p16-')), name);
  writeFileSync(path, content);
  return path;
}

function expectOneLine(r: { code: number | null; stderr: string }, ...words: string[]): void {
  expect(r.code).toBe(2);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).not.toMatch(/^\s+at /);
  for (const w of words) expect(lines[0]).toContain(w);
}

describe('start-up failures: one line naming the variable or resource, exit 2 (issue 16 item 5)', () => {
  it.each([
    ['OTEL_TRACES_SAMPLER', 'sometimes'],
    ['OTEL_RESOURCE_ATTRIBUTES', 'novalue'],
    ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'ftp://collector'],
  ])('a bad standard OpenTelemetry variable: %s', async (name, value) => {
    expectOneLine(await runToExit(EMBEDDED, { [name]: value }), name);
  });

  it('the HTTP port in use', async () => {
    const held = await heldPort();
    try {
      expectOneLine(await runToExit(EMBEDDED, { HTTP_PORT: String(held.port) }), 'address already in use', `:${held.port}`, 'HTTP_PORT');
    } finally {
      await held.release();
    }
  });

  it('the SIP port in use', async () => {
    const held = await heldPort();
    try {
      expectOneLine(await runToExit(EMBEDDED, { SIP_PORT: String(held.port) }), 'address already in use', 'SIP_PORT');
    } finally {
      await held.release();
    }
  });

  it('a missing certificate file', async () => {
    const r = await runToExit(EMBEDDED, { SIP_TLS_CERT_FILE: '/nonexistent/cert.pem', SIP_TLS_KEY_FILE: '/nonexistent/key.pem' });
    expectOneLine(r, 'Cannot read /nonexistent/cert.pem: no such file', 'SIP_TLS_CERT_FILE');
  });

  it('a certificate file that is not PEM', async () => {
    const pem = tmpFile('c.pem', 'not a certificate');
    const r = await runToExit(EMBEDDED, { SIP_TLS_CERT_FILE: pem, SIP_TLS_KEY_FILE: pem });
    expectOneLine(r, 'Invalid TLS certificate or key', 'SIP_TLS_CERT_FILE');
  });

  it('a SIP_HOST that does not resolve, and one that is not an address of this host', async () => {
    expectOneLine(await runToExit(EMBEDDED, { SIP_HOST: 'no-such-host.invalid' }), 'no-such-host.invalid', 'SIP_HOST');
    expectOneLine(await runToExit(EMBEDDED, { SIP_HOST: '203.0.113.7' }), 'address not available', 'SIP_HOST');
  });

  it('a POOL_ID outside PRESENCE_POOLS (clustered)', async () => {
    const r = await runToExit(PUBLICATION, { POOL_ID: 'pool9', PRESENCE_POOLS: 'pool1,pool2' });
    expectOneLine(r, 'POOL_ID="pool9"', 'PRESENCE_POOLS (pool1, pool2)');
  });

  it('a bad LOG_LEVEL_FILE', async () => {
    expectOneLine(await runToExit(EMBEDDED, { LOG_LEVEL_FILE: tmpFile('level', 'loud\n') }), 'LOG_LEVEL_FILE', '"loud"');
    expectOneLine(await runToExit(EMBEDDED, { LOG_LEVEL_FILE: '/nonexistent/level' }), 'Cannot read /nonexistent/level: no such file (check LOG_LEVEL_FILE)');
  });
});

describe('process behaviour an operator expects (issue 16 item 5)', () => {
  let proc: Proc | undefined;
  const clients: TestClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await proc?.stop('SIGKILL');
    proc = undefined;
  });

  it('NATS unreachable at start: a warning naming NATS every DEPENDENCY_LOG_MS, and /readyz names NATS, not Redis', async () => {
    const port = await freePort();
    proc = startNode(PUBLICATION, { HTTP_PORT: String(port), NATS_URL: 'nats://127.0.0.1:1', DEPENDENCY_LOG_MS: '200' });
    await waitForStatus(`http://127.0.0.1:${port}/healthz`, 200, 10_000);
    await expect.poll(() => proc!.output().split('\n').filter((l) => l.includes('NATS cannot be reached yet')).length, { timeout: 5000 }).toBeGreaterThanOrEqual(2);
    const line = JSON.parse(proc.output().split('\n').find((l) => l.includes('NATS cannot be reached yet'))!);
    expect(line).toMatchObject({ level: 40, dependency: 'nats', url: 'nats://127.0.0.1:1' });
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.json());
    expect(ready.checks.nats).toBe('down: connecting to NATS');
    expect(ready.checks.redis).toBe('down: not tried yet: waiting for NATS first');
  });

  it('SIGHUP: a users-file edit and a new log level take effect without a restart; connections stay up', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'p16-'));
    const usersFile = join(dir, 'users.json');
    const levelFile = join(dir, 'level');
    const user = (name: string) => ({ uri: `sip:${name}@contoso.com`, password: `${name}-password-1`, displayName: name });
    writeFileSync(usersFile, JSON.stringify({ users: [user('alice')] }));
    writeFileSync(levelFile, 'warn');
    const [http, sip] = [await freePort(), await freePort()];
    proc = startNode(EMBEDDED, { HTTP_PORT: String(http), SIP_PORT: String(sip), SIP_HOST: '127.0.0.1', PRESENCE_USERS_FILE: usersFile, LOG_LEVEL_FILE: levelFile });
    await waitForStatus(`http://127.0.0.1:${http}/readyz`, 200, 10_000);

    const signIn = async (name: string): Promise<{ c: TestClient; status: number }> => {
      const c = await TestClient.tcp(sip);
      clients.push(c);
      const reg = buildRequest(c, { method: 'REGISTER', user: `sip:${name}@contoso.com` });
      const challenge = await c.request(reg);
      const res = await c.request(authorize({ ...reg, headers: reg.headers.map((h) => (h.name === 'CSeq' ? { name: 'CSeq', value: '2 REGISTER' } : h)) }, challenge, `sip:${name}@contoso.com`, `${name}-password-1`));
      return { c, status: res.status };
    };
    const alice = await signIn('alice');
    expect(alice.status).toBe(200);
    expect((await signIn('carol')).status).not.toBe(200);
    expect(proc.output()).not.toContain('"msg":"SIP response"');

    writeFileSync(usersFile, JSON.stringify({ users: [user('alice'), user('carol')] }));
    writeFileSync(levelFile, 'debug');
    proc.child.kill('SIGHUP');
    await expect.poll(() => proc!.output(), { timeout: 5000 }).toContain('reloaded (SIGHUP)');
    expect(proc.child.exitCode).toBeNull();

    expect((await signIn('carol')).status).toBe(200);
    // Alice's connection was not dropped: it still gets answers.
    const options = buildRequest(alice.c, { method: 'OPTIONS', user: 'sip:alice@contoso.com', cseq: 3 });
    expect((await alice.c.request(options)).status).toBe(200);
    // LOG_LEVEL_FILE now says debug: one line per SIP request and response.
    const optionsLine = () => proc!.output().split('\n').find((l) => l.includes('"msg":"SIP response"') && l.includes('"method":"OPTIONS"'));
    await expect.poll(optionsLine, { timeout: 2000 }).toBeDefined();
    expect(JSON.parse(optionsLine()!)).toMatchObject({ level: 20, method: 'OPTIONS', status: 200, transport: 'tcp', callId: expect.any(String) });
  });

  it('SIGHUP: a renewed TLS certificate serves new connections; open ones stay', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'p16-'));
    const [certFile, keyFile] = [join(dir, 'tls.crt'), join(dir, 'tls.key')];
    const write = (c: { cert: string; key: string }) => {
      writeFileSync(certFile, c.cert);
      writeFileSync(keyFile, c.key);
    };
    write(selfSignedCertificate('old.contoso.com', ['localhost']));
    const [http, sipTls] = [await freePort(), await freePort()];
    proc = startNode(EMBEDDED, { LOG_LEVEL: 'info', HTTP_PORT: String(http), SIP_TLS_PORT: String(sipTls), SIP_HOST: '127.0.0.1', SIP_TLS_CERT_FILE: certFile, SIP_TLS_KEY_FILE: keyFile });
    await waitForStatus(`http://127.0.0.1:${http}/readyz`, 200, 10_000);
    const connect = () =>
      new Promise<tls.TLSSocket>((resolve, reject) => {
        const s = tls.connect({ host: '127.0.0.1', port: sipTls, rejectUnauthorized: false }, () => resolve(s));
        s.once('error', reject);
      });
    const first = await connect();
    expect(first.getPeerCertificate().subject.CN).toBe('old.contoso.com');
    write(selfSignedCertificate('new.contoso.com', ['localhost']));
    proc.child.kill('SIGHUP');
    await expect.poll(() => proc!.output(), { timeout: 5000 }).toContain('TLS certificate reloaded');
    const second = await connect();
    expect(second.getPeerCertificate().subject.CN).toBe('new.contoso.com');
    expect(first.destroyed).toBe(false);
    first.destroy();
    second.destroy();
  });

  it("the README's clustered recipe: its environment starts an edge and pool2's subscription service that turn ready", async () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const recipe = /### 2\. Clustered[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)![1]!;
    const env = Object.fromEntries(
      [...recipe.matchAll(/^export (.+?)(?:\s+#.*)?$/gm)].flatMap((m) => m[1]!.trim().split(/\s+/).map((kv) => kv.split('=') as [string, string])),
    );
    expect(env).toMatchObject({ POOL_ID: 'pool1', PRESENCE_USERS_FILE: expect.any(String) });
    const procs: Proc[] = [];
    try {
      for (const [script, extra] of [
        ['services/sip-edge/dist/main.js', {}],
        ['services/subscription/dist/main.js', { POOL_ID: 'pool2' }],
      ] as const) {
        const port = await freePort();
        procs.push(startNode(script, { ...env, ...extra, HTTP_PORT: String(port), INSTANCE_ID: `readme-${port}` }));
        await waitForStatus(`http://127.0.0.1:${port}/readyz`, 200, 15_000);
      }
    } finally {
      for (const p of procs) await p.stop('SIGTERM');
    }
  });
});
