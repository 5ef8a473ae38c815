import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { SipResponse } from '@presence/sip';
import { dialogs, listRecords, publications, type RedisStore } from '@presence/state';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually } from './directory-contract.suite.js';
import { LyncClient } from './support/lync-client.js';
import { repoRoot } from './support/process.js';
import { authorize, buildRequest } from './support/sip-client.js';
import { TEST_ADMIN_TOKEN, type World } from './support/world.js';

const run = promisify(execFile);
const ALICE = 'sip:alice@contoso.com';

/** The environment a world runs the managed store with, digest on (issue 15). */
export const storeEnv = (namespace: string) => ({ PRESENCE_DIRECTORY: 'store', PRESENCE_AUTH: 'digest', PRESENCE_DIRECTORY_NAMESPACE: namespace });

/** Removes a namespace's users from a shared Redis (the world's own clean-up removes its pool only). */
export async function dropNamespace(w: World, namespace: string): Promise<void> {
  if (w.mode !== 'clustered') return;
  const redis = (w.store as RedisStore).redis;
  const keys = await redis.keys(`pres:_directory:{${namespace}}*`);
  if (keys.length > 0) await redis.del(...keys);
}

const M = 'http://schemas.microsoft.com/winrtc/2002/11/sip';
/** A directory search for a display name prefix ([MS-PRES] §4.1). */
const search = (prefix: string) =>
  `<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body>` +
  `<m:directorySearch xmlns:m="${M}"><m:filter m:href="#searchArray"/><m:maxResults>10</m:maxResults></m:directorySearch>` +
  `<m:Array xmlns:m="${M}" m:id="searchArray"><m:row m:attrib="givenName" m:value="${prefix}"/></m:Array></SOAP-ENV:Body></SOAP-ENV:Envelope>`;
const searchFrom = (c: LyncClient, prefix: string) =>
  c.request('SERVICE', { uri: 'sip:contoso.com', to: 'sip:contoso.com', headers: [{ name: 'Content-Type', value: 'application/SOAP+xml' }], body: search(prefix) });

/** `npm run users -- …` as an operator runs it, against the world's admin port. */
export async function cli(w: World, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, ADMIN_URL: `http://127.0.0.1:${w.proc.adminHttpPort}`, ADMIN_TOKEN: TEST_ADMIN_TOKEN };
  try {
    const { stdout, stderr } = await run(process.execPath, [join(repoRoot, 'scripts/users.mjs'), ...args], { env });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

/** A server publication's data once the publication service has made it (it follows sign-in). */
export async function serverPublication(w: World, user: string, name: string, container: number): Promise<string | undefined> {
  for (const until = Date.now() + 5000; Date.now() < until; await new Promise((r) => setTimeout(r, 50))) {
    const found = (await listRecords(w.store, { pool: w.pool, user }, publications)).find((p) => p.value.categoryName === name && p.value.container === container);
    if (found) return found.value.data;
  }
  return undefined;
}

/** REGISTER answered with digest: 200 once signed in; the 401 again when the credentials are refused. */
export async function signIn(c: LyncClient, username: string, password: string, algorithm: 'SHA-256' | 'MD5' = 'SHA-256'): Promise<SipResponse> {
  const reg = buildRequest(c.sip, { method: 'REGISTER', user: c.user, epid: c.epid, cseq: c.cseq, headers: [{ name: 'Supported', value: 'gruu-10, adhoclist, msrtc-event-categories' }] });
  const challenge = await c.sip.request(reg);
  expect(challenge.status).toBe(401);
  c.cseq += 2;
  return c.sip.request(authorize(reg, challenge, username, password, algorithm));
}

/** Issue 15: users added, disabled, re-passworded and deleted through the CLI take effect without a restart. */
export function usersLive(name: string, make: (namespace: string, env?: Record<string, string>) => Promise<World>): void {
  describe(`managed users, live: ${name}`, () => {
    let w: World;
    const clients: LyncClient[] = [];
    const connect = async () => {
      const c = await LyncClient.connect(w.ports.tcp, ALICE);
      clients.push(c);
      return c;
    };
    let namespace: string;
    beforeEach(async () => {
      namespace = `u${randomUUID().slice(0, 8)}`;
      w = await make(namespace);
    });
    afterEach(async () => {
      for (const c of clients.splice(0)) c.close();
      await dropNamespace(w, namespace);
      await w.stop();
    });

    it('a user added through the CLI signs in within 1 s (SHA-256 and MD5 against HA1 only), no restart', { timeout: 20_000 }, async () => {
      const before = await connect();
      expect((await signIn(before, 'alice', 'Secr3t!')).status).toBe(401);
      const add = await cli(w, 'add', ALICE, '--password', 'Secr3t!', '--display-name', 'Alice Example', '--title', 'Lead', '--city', 'Redmond', '--phone', '+1 425 555 0100', '--email', 'alice.example@contoso.com');
      expect(add).toMatchObject({ code: 0 });
      const added = Date.now();
      expect(JSON.parse(add.stdout)).toEqual({
        aor: ALICE,
        displayName: 'Alice Example',
        title: 'Lead',
        city: 'Redmond',
        phone: '+1 425 555 0100',
        email: 'alice.example@contoso.com',
        disabled: false,
        hasPassword: true,
        updatedAt: expect.any(String),
      });
      const c = await connect();
      expect((await signIn(c, 'alice', 'Secr3t!')).status).toBe(200);
      expect(Date.now() - added).toBeLessThan(1000);
      expect((await signIn(await connect(), 'alice@contoso.com', 'Secr3t!', 'MD5')).status).toBe(200);
      // The server's publications read the directory (§3.2.6.2): contactCard identity, userProperties line.
      expect(await serverPublication(w, ALICE, 'contactCard', 0)).toBe(
        '<contactCard xmlns="http://schemas.microsoft.com/2006/09/sip/contactcard"><identity><name><displayName>Alice Example</displayName></name><email>alice.example@contoso.com</email></identity></contactCard>',
      );
      expect(await serverPublication(w, ALICE, 'userProperties', 1)).toBe(
        '<userProperties xmlns="http://schemas.microsoft.com/2006/09/sip/categories"><lines><line lineType="Uc" lineServer="">tel:+14255550100</line></lines></userProperties>',
      );
      // Directory search reads the same directory (§3.1): Alice finds herself with the attributes given.
      expect((await searchFrom(c, 'Ali')).body.toString()).toContain(`<m:row m:uri="${ALICE}" m:displayName="Alice Example" m:title="Lead" m:office="" m:phone="+1 425 555 0100" m:company="" m:city="Redmond" m:state="" m:country="" m:email="alice.example@contoso.com"/>`);
      const list = await cli(w, 'list');
      expect(list.stdout).toBe(`${ALICE}\tenabled\tAlice Example\n1-1 of 1\n`);
    });

    it('a disabled user is signed out: connection closed, dialogs ended, next sign-in refused; enabled again, they sign in', { timeout: 20_000 }, async () => {
      expect((await cli(w, 'add', ALICE, '--password', 'pw-1')).code).toBe(0);
      const c = await connect();
      expect((await signIn(c, 'alice', 'pw-1')).status).toBe(200);
      expect((await c.selfSubscribe()).status).toBe(200);
      const partition = { pool: w.pool, user: ALICE };
      expect((await listRecords(w.store, partition, dialogs)).length).toBeGreaterThan(0);

      expect((await cli(w, 'disable', ALICE)).code).toBe(0);
      await eventually(() => c.sip.closed, 'the connection closed by the server');
      let left = -1;
      for (const until = Date.now() + 5000; left !== 0 && Date.now() < until; await new Promise((r) => setTimeout(r, 50))) left = (await listRecords(w.store, partition, dialogs)).length;
      expect(left).toBe(0);
      expect((await signIn(await connect(), 'alice', 'pw-1')).status).toBe(401);

      expect((await cli(w, 'enable', ALICE)).code).toBe(0);
      expect((await signIn(await connect(), 'alice', 'pw-1')).status).toBe(200);
    });

    it('a changed password: the old one is refused, the new one accepted; a deleted user is refused', { timeout: 20_000 }, async () => {
      expect((await cli(w, 'add', ALICE, '--password', 'old-pw')).code).toBe(0);
      expect((await cli(w, 'passwd', ALICE, '--password', 'new-pw')).code).toBe(0);
      expect((await signIn(await connect(), 'alice', 'old-pw')).status).toBe(401);
      expect((await signIn(await connect(), 'alice', 'new-pw')).status).toBe(200);
      expect(await cli(w, 'delete', ALICE)).toMatchObject({ code: 0, stdout: `deleted ${ALICE}\n` });
      expect((await signIn(await connect(), 'alice', 'new-pw')).status).toBe(401);
      expect(await cli(w, 'delete', ALICE)).toMatchObject({ code: 1, stderr: `404: ${ALICE} is not a user\n` });
    });

    it('with PRESENCE_AUTH=none (behind an authenticating proxy) only listed, enabled users are served', async () => {
      const trusting = await make(`${namespace}n`, { PRESENCE_AUTH: 'none' });
      try {
        const register = async () => {
          const c = await LyncClient.connect(trusting.ports.tcp, ALICE);
          clients.push(c);
          return c.request('REGISTER', { headers: [{ name: 'Supported', value: 'gruu-10' }] });
        };
        const refused = await register();
        expect([refused.status, refused.reason]).toEqual([403, 'Not In The Directory']);
        expect((await cli(trusting, 'add', ALICE)).code).toBe(0);
        expect((await register()).status).toBe(200);
        expect((await cli(trusting, 'disable', ALICE)).code).toBe(0);
        expect((await register()).status).toBe(403);
      } finally {
        await dropNamespace(trusting, `${namespace}n`);
        await trusting.stop();
      }
    });

    it('the CLI says what is wrong: a user outside the domains, a wrong token, no command', async () => {
      expect(await cli(w, 'add', 'sip:eve@fabrikam.com', '--password', 'x')).toMatchObject({ code: 1, stderr: '400: sip:eve@fabrikam.com is not in PRESENCE_DOMAINS (contoso.com)\n' });
      const env = { ...process.env, ADMIN_URL: `http://127.0.0.1:${w.proc.adminHttpPort}`, ADMIN_TOKEN: 'wrong-token-0123456789' };
      const refused = await run(process.execPath, [join(repoRoot, 'scripts/users.mjs'), 'list'], { env }).catch((e: { code: number; stderr: string }) => e);
      expect(refused).toMatchObject({ code: 1, stderr: '401: admin token required\n' });
      expect((await cli(w)).code).toBe(2);
    });
  });
}
