import { digestResponse, type DigestAlgorithm, type DigestCredentials } from '@presence/sip';
import type { UserDirectory, DirectoryChange } from '@presence/runtime';
import { credentialsMatch } from '@presence/sip-edge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** A user as the tests give it to each back end. */
export interface TestUser {
  readonly aor: string;
  readonly password: string;
  readonly displayName: string;
  readonly title: string;
  readonly office: string;
  readonly phone: string;
  readonly company: string;
  readonly city: string;
  readonly state: string;
  readonly country: string;
  readonly email: string;
}

/** One back end under the contract: its directory, and the operator's actions on its source. */
export interface DirectoryHarness {
  readonly directory: UserDirectory;
  /** The username forms whose digest the back end verifies (`alice`; `alice@contoso.com` too where HA1b is kept). */
  readonly usernames: readonly ('user' | 'user@host')[];
  add(u: TestUser): Promise<void>;
  disable(aor: string): Promise<void>;
  remove(aor: string): Promise<void>;
  setPassword(aor: string, password: string): Promise<void>;
  close(): Promise<void>;
}

export const REALM = 'contoso.com';

export function testUser(name: string, password = `${name}-secret`): TestUser {
  return {
    aor: `sip:${name}@contoso.com`,
    password,
    displayName: `${name[0]!.toUpperCase()}${name.slice(1)} Example`,
    title: 'Lead',
    office: '42/1234',
    phone: '+1 425 555 0100',
    company: 'Contoso',
    city: 'Redmond',
    state: 'WA',
    country: 'US',
    email: `${name}@contoso.com`,
  };
}

/** Waits (polling) until `check` holds; the back ends refresh on their own. */
export async function eventually(check: () => boolean, what: string, ms = 3000): Promise<void> {
  for (const until = Date.now() + ms; !check(); ) {
    if (Date.now() > until) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Digest credentials a client would send for `password` (RFC 7616, qop=auth). */
export function credentials(username: string, password: string, algorithm: DigestAlgorithm): DigestCredentials {
  const c = { username, realm: REALM, nonce: 'n0nce', uri: 'sip:contoso.com', algorithm, qop: 'auth', nc: '00000001', cnonce: 'c' };
  return { ...c, response: digestResponse(c, 'REGISTER', password) };
}

/** Whether the directory lets `aor` sign in with `password`, for every algorithm and username form given. */
function signsIn(h: DirectoryHarness, aor: string, password: string): boolean[] {
  const entry = h.directory.get(aor);
  const userAtHost = aor.replace(/^sip:/, '');
  const forms = h.usernames.map((f) => (f === 'user' ? userAtHost.split('@')[0]! : userAtHost));
  return forms.flatMap((username) => (['MD5', 'SHA-256'] as const).map((alg) => entry !== undefined && credentialsMatch(credentials(username, password, alg), 'REGISTER', entry)));
}

/** The directory contract: every back end passes the same cases (issue 15). */
export function directoryContract(name: string, open: () => Promise<DirectoryHarness>): void {
  describe(`directory contract: ${name}`, () => {
    let h: DirectoryHarness;
    const changes: DirectoryChange[] = [];
    beforeAll(async () => {
      h = await open();
      h.directory.onChange((c) => changes.push(c));
      await h.add(testUser('alice'));
      await h.add(testUser('bob'));
      await eventually(() => h.directory.size === 2, 'alice and bob listed');
    });
    afterAll(async () => h?.close());

    it('finds a user by any spelling of the address, with every attribute', () => {
      const u = h.directory.get('sips:alice@CONTOSO.COM');
      // Every attribute the operator gave, under the address's canonical spelling.
      const { password: _password, ...attributes } = testUser('alice');
      expect(u).toMatchObject(attributes);
      expect(u?.aor).toBe('sip:alice@contoso.com');
      expect(h.directory.get('sip:carol@contoso.com')).toBeUndefined();
      expect([...h.directory.entries()].map((e) => e.aor).sort()).toEqual(['sip:alice@contoso.com', 'sip:bob@contoso.com']);
    });

    it('verifies digest with MD5 and SHA-256 and refuses a wrong password', () => {
      expect(signsIn(h, 'sip:alice@contoso.com', 'alice-secret').every(Boolean)).toBe(true);
      expect(signsIn(h, 'sip:alice@contoso.com', 'bob-secret').some(Boolean)).toBe(false);
    });

    it('a new user can sign in after the refresh, and listeners hear of them', async () => {
      await h.add(testUser('carol'));
      await eventually(() => h.directory.get('sip:carol@contoso.com') !== undefined, 'carol listed');
      expect(signsIn(h, 'sip:carol@contoso.com', 'carol-secret').every(Boolean)).toBe(true);
      expect(changes.some((c) => c.added.includes('sip:carol@contoso.com'))).toBe(true);
    });

    it('a changed password: the old one is refused, the new one accepted', async () => {
      await h.setPassword('sip:carol@contoso.com', 'carol-new');
      await eventually(() => signsIn(h, 'sip:carol@contoso.com', 'carol-new').every(Boolean), 'new password accepted');
      expect(signsIn(h, 'sip:carol@contoso.com', 'carol-secret').some(Boolean)).toBe(false);
    });

    it('a disabled user and a deleted user are gone from lookups and search, and listeners hear of each', async () => {
      await h.disable('sip:bob@contoso.com');
      await eventually(() => h.directory.get('sip:bob@contoso.com') === undefined, 'bob disabled');
      expect(changes.some((c) => c.removed.includes('sip:bob@contoso.com'))).toBe(true);
      await h.remove('sip:carol@contoso.com');
      await eventually(() => h.directory.get('sip:carol@contoso.com') === undefined, 'carol deleted');
      expect(changes.some((c) => c.removed.includes('sip:carol@contoso.com'))).toBe(true);
      expect([...h.directory.entries()].map((e) => e.aor)).toEqual(['sip:alice@contoso.com']);
    });
  });
}
