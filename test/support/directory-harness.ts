import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readUsersFile, UserDirectory, UserStore } from '@presence/runtime';
import type { Store } from '@presence/state';
import { createLogger } from '@presence/telemetry';
import { watchUsersFile } from '../../libs/runtime/src/directory-file.js';
import { pollUserStore } from '../../libs/runtime/src/directory-store.js';
import { REALM, type DirectoryHarness, type TestUser } from '../directory-contract.suite.js';

const silent = createLogger({ level: 'silent' });
const DOMAINS = [REALM];
const profile = ({ aor: _aor, password: _password, ...rest }: TestUser) => rest;

/** The users file back end: the harness edits the file, the watcher (50 ms) reloads it. */
export async function fileHarness(): Promise<DirectoryHarness> {
  const path = join(mkdtempSync(join(tmpdir(), 'users-')), 'users.json');
  const users = new Map<string, Record<string, unknown>>();
  // Written whole and renamed into place, as an operator's tooling would.
  const save = () => {
    writeFileSync(`${path}.tmp`, JSON.stringify({ users: [...users.values()] }));
    renameSync(`${path}.tmp`, path);
  };
  save();
  const directory = new UserDirectory(readUsersFile(path, DOMAINS));
  directory.attach(watchUsersFile(directory, path, DOMAINS, silent, 50));
  const edit = async (aor: string, f: (u: Record<string, unknown>) => Record<string, unknown> | undefined) => {
    const next = f(users.get(aor)!);
    if (next) users.set(aor, next);
    else users.delete(aor);
    save();
  };
  return {
    directory,
    usernames: ['user', 'user@host'],
    add: async (u) => {
      users.set(u.aor, { uri: u.aor, password: u.password, ...profile(u) });
      save();
    },
    disable: (aor) => edit(aor, (u) => ({ ...u, disabled: true })),
    remove: (aor) => edit(aor, () => undefined),
    setPassword: (aor, password) => edit(aor, (u) => ({ ...u, password })),
    close: async () => directory.close(),
  };
}

/** The managed store back end over `store`: writes through {@link UserStore}, a second reader polls (50 ms). */
export async function storeHarness(store: Store, namespace: string): Promise<DirectoryHarness> {
  // Redis connects in the background: wait until it answers.
  for (const until = Date.now() + 10_000; !(await store.check().then(() => true, () => false)); ) {
    if (Date.now() > until) throw new Error('the store does not answer after 10 s; is Redis running (redis-server on 127.0.0.1:6379)?');
    await new Promise((r) => setTimeout(r, 50));
  }
  const users = new UserStore({ store, realm: REALM, domains: DOMAINS, namespace });
  const directory = new UserDirectory();
  const poll = pollUserStore(directory, users, silent, 50);
  directory.attach(poll.stop);
  await poll.first;
  return {
    directory,
    usernames: ['user', 'user@host'],
    add: async (u) => void (await users.create(u.aor, { profile: profile(u), password: u.password })),
    disable: async (aor) => void (await users.update(aor, (u) => ({ ...u, disabled: true }))),
    remove: (aor) => users.delete(aor),
    setPassword: async (aor, password) => void (await users.setPassword(aor, password)),
    close: async () => directory.close(),
  };
}
