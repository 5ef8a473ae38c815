import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserDirectory } from '../src/directory.js';
import { readUsersFile } from '../src/directory-file.js';

const file = (doc: unknown) => {
  const f = join(mkdtempSync(join(tmpdir(), 'users-')), 'users.json');
  writeFileSync(f, JSON.stringify(doc));
  return f;
};

describe('users file: the attributes directory search shows', () => {
  it('reads the optional profile attributes and lists every user', () => {
    const d = new UserDirectory(readUsersFile(file({ users: [{ uri: 'sip:Alice@Contoso.com', password: 'p', title: 'Lead', city: 'Redmond' }, { uri: 'sip:bob@contoso.com', password: 'q' }] })));
    expect([...d.entries()].map((u) => u.aor)).toEqual(['sip:Alice@contoso.com', 'sip:bob@contoso.com']);
    expect(d.get('sip:Alice@contoso.com')).toMatchObject({ title: 'Lead', city: 'Redmond' });
  });

  it('refuses a profile attribute that is not a string, naming the entry', () => {
    expect(() => new UserDirectory(readUsersFile(file({ users: [{ uri: 'sip:a@contoso.com', password: 'p', phone: 5 }] })))).toThrow(/users\[0\]\.phone must be a string/);
  });
});
