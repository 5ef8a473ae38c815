import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEV_USERS_FILE, openDirectory, readUsersFile, UserDirectory, UserStore, UserStoreError } from '@presence/runtime';
import { createLogger } from '@presence/telemetry';
import { watchUsersFile } from '../libs/runtime/src/directory-file.js';
import { MemoryStore } from '@presence/state';
import { describe, expect, it } from 'vitest';
import { directoryContract } from './directory-contract.suite.js';
import { fileHarness, storeHarness } from './support/directory-harness.js';

directoryContract('users file', fileHarness);
directoryContract('managed store (memory)', () => storeHarness(new MemoryStore(), 'contract'));

describe('users outside PRESENCE_DOMAINS (issue 15 item 4)', () => {
  it('the users file is refused at load with a line naming the user and the domains', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'users-')), 'users.json');
    writeFileSync(path, JSON.stringify({ users: [{ uri: 'sip:alice@contoso.com', password: 'p' }, { uri: 'sip:eve@fabrikam.com', password: 'p' }] }));
    expect(() => readUsersFile(path, ['contoso.com'])).toThrow(/users\[1\]: sip:eve@fabrikam\.com is not in PRESENCE_DOMAINS \(contoso\.com\)/);
  });

  it('the store refuses to create one (400)', async () => {
    const users = new UserStore({ store: new MemoryStore(), realm: 'contoso.com', domains: ['contoso.com'], namespace: 'd' });
    const e = await users.create('sip:eve@fabrikam.com', { profile: {}, password: 'p' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UserStoreError);
    expect(e).toMatchObject({ status: 400, message: 'sip:eve@fabrikam.com is not in PRESENCE_DOMAINS (contoso.com)' });
  });
});

describe('managed store keeps passwords only as HA1', () => {
  it('stores MD5 and SHA-256 HA1 of user:realm:password for both username forms, never the password', async () => {
    const store = new MemoryStore();
    const users = new UserStore({ store, realm: 'contoso.com', domains: ['contoso.com'], namespace: 'h' });
    await users.create('sip:alice@contoso.com', { profile: { displayName: 'Alice' }, password: 'pa55word' });
    const raw = JSON.stringify(await store.list(users.partition, 'dirusers'));
    expect(raw).not.toContain('pa55word');
    const u = await users.get('sip:alice@contoso.com');
    // echo -n 'alice:contoso.com:pa55word' | md5sum / sha256sum
    const { createHash } = await import('node:crypto');
    const h = (alg: string, s: string) => createHash(alg).update(s).digest('hex');
    expect(u?.ha1).toEqual({ MD5: h('md5', 'alice:contoso.com:pa55word'), 'SHA-256': h('sha256', 'alice:contoso.com:pa55word') });
    expect(u?.ha1b).toEqual({ MD5: h('md5', 'alice@contoso.com:contoso.com:pa55word'), 'SHA-256': h('sha256', 'alice@contoso.com:contoso.com:pa55word') });
    expect(await users.create('sip:alice@contoso.com', { profile: {} }).catch((x: unknown) => x)).toMatchObject({ status: 409 });
  });
});

describe('users file reload without a restart', () => {
  const write = (path: string, users: unknown[]) => writeFileSync(path, JSON.stringify({ users }));

  it('re-reads on SIGHUP; a broken file keeps the users of the last good one', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'users-')), 'users.json');
    write(path, [{ uri: 'sip:alice@contoso.com', password: 'a' }]);
    const d = new UserDirectory(readUsersFile(path, ['contoso.com']));
    // A check interval far longer than the test: only the signal reloads.
    const stop = watchUsersFile(d, path, ['contoso.com'], createLogger({ level: 'silent' }), 3_600_000);
    try {
      write(path, [{ uri: 'sip:alice@contoso.com', password: 'a' }, { uri: 'sip:bob@contoso.com', password: 'b' }]);
      expect(d.get('sip:bob@contoso.com')).toBeUndefined();
      process.emit('SIGHUP', 'SIGHUP');
      expect(d.get('sip:bob@contoso.com')).toMatchObject({ aor: 'sip:bob@contoso.com', password: 'b' });
      writeFileSync(path, '{"users": [');
      process.emit('SIGHUP', 'SIGHUP');
      expect([...d.entries()].map((u) => u.aor)).toEqual(['sip:alice@contoso.com', 'sip:bob@contoso.com']);
    } finally {
      stop();
    }
  });
});

describe('users file polling', () => {
  it('sees a change written right after the watch starts, and one written while the file was gone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'users-'));
    const path = join(dir, 'users.json');
    const write = (users: string[]) => {
      writeFileSync(`${path}.tmp`, JSON.stringify({ users: users.map((u) => ({ uri: `sip:${u}@contoso.com`, password: 'p' })) }));
      renameSync(`${path}.tmp`, path);
    };
    write(['alice']);
    const d = new UserDirectory(readUsersFile(path, ['contoso.com']));
    const stop = watchUsersFile(d, path, ['contoso.com'], createLogger({ level: 'silent' }), 20);
    try {
      // Before the event loop turns even once (fs.watchFile took its first look later and missed this).
      write(['alice', 'bob']);
      await until(() => d.get('sip:bob@contoso.com') !== undefined);
      rmSync(path);
      await new Promise((r) => setTimeout(r, 100));
      expect(d.size).toBe(2); // a missing file keeps the last good users
      write(['carol']);
      await until(() => d.get('sip:carol@contoso.com') !== undefined);
      expect([...d.entries()].map((u) => u.aor)).toEqual(['sip:carol@contoso.com']);
    } finally {
      stop();
    }
  });
});

async function until(check: () => boolean, ms = 5000): Promise<void> {
  for (const end = Date.now() + ms; !check(); await new Promise((r) => setTimeout(r, 10))) if (Date.now() > end) throw new Error(`not within ${ms} ms`);
}

describe('choosing the back end (PRESENCE_DIRECTORY)', () => {
  const open = (env: Record<string, string>, mode: 'embedded' | 'clustered' = 'clustered') => openDirectory({ env, mode, domains: ['contoso.com'], logger: createLogger({ level: 'silent' }) });

  it('file when a users file is given or in embedded mode, none in clustered mode without one', () => {
    expect(open({}, 'embedded').kind).toBe('file');
    expect(open({ PRESENCE_USERS_FILE: DEV_USERS_FILE }).kind).toBe('file');
    expect(open({}).kind).toBeUndefined();
    expect(open({ PRESENCE_DIRECTORY: 'store', PRESENCE_USERS_FILE: DEV_USERS_FILE }).kind).toBe('store');
  });

  it('stops start-up with one line naming what is wrong', () => {
    expect(() => open({ PRESENCE_DIRECTORY: 'nis' })).toThrow('Invalid environment variable PRESENCE_DIRECTORY="nis": expected one of file, store, ldap');
    expect(() => open({ PRESENCE_DIRECTORY: 'ldap' })).toThrow('Missing environment variable PRESENCE_LDAP_URL: required with PRESENCE_DIRECTORY=ldap');
    expect(() => open({ PRESENCE_DIRECTORY: 'ldap', PRESENCE_LDAP_URL: 'http://dc1' })).toThrow(/PRESENCE_LDAP_URL="http:\/\/dc1": expected ldap:\/\/ or ldaps:\/\//);
    expect(() => open({ PRESENCE_DIRECTORY: 'ldap', PRESENCE_LDAP_URL: 'ldap://dc1' })).toThrow('Missing environment variable PRESENCE_LDAP_BASE_DN: required with PRESENCE_DIRECTORY=ldap');
    expect(() => open({ PRESENCE_DIRECTORY: 'ldap', PRESENCE_LDAP_URL: 'ldap://dc1', PRESENCE_LDAP_BASE_DN: 'dc=x', PRESENCE_LDAP_ATTRIBUTES: 'fax=facsimileTelephoneNumber' })).toThrow(/unknown field fax/);
  });
});
