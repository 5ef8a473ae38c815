import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Attribute, Change, Client, InvalidCredentialsError } from 'ldapts';
import { selfSignedCertificate } from '@presence/sip-edge';
import { digestHa1 } from '@presence/sip';
import { readLdapUsers, UserDirectory } from '@presence/runtime';
import { createLogger } from '@presence/telemetry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollLdap, DEFAULT_LDAP_PROFILE, type LdapOptions } from '../libs/runtime/src/directory-ldap.js';
import { directoryContract, eventually, REALM, testUser, type TestUser } from './directory-contract.suite.js';
import { LyncClient } from './support/lync-client.js';
import { startWorld, type World } from './support/world.js';
import { serverPublication, signIn } from './users-live.suite.js';
import { startSlapd, type Slapd } from './support/slapd.js';

const BASE = 'dc=contoso,dc=com';
const PEOPLE = `ou=people,${BASE}`;
const LDIF = `dn: ${BASE}
objectClass: dcObject
objectClass: organization
dc: contoso
o: Contoso

dn: ${PEOPLE}
objectClass: organizationalUnit
ou: people

dn: uid=mallory,${PEOPLE}
objectClass: inetOrgPerson
objectClass: presenceUser
uid: mallory
cn: Mallory
sn: Outsider
mail: mallory@fabrikam.com
`;

/** One real OpenLDAP server (Debian slapd) for the file; started on a free port with a generated config. */
let slapd: Slapd;
// A certificate for 127.0.0.1 that the TLS tests trust through PRESENCE_LDAP_CA_FILE.
const certificate = selfSignedCertificate('localhost', ['localhost', '127.0.0.1']);
const caFile = join(mkdtempSync(join(tmpdir(), 'ldap-ca-')), 'ca.pem');
writeFileSync(caFile, certificate.cert);
beforeAll(async () => {
  slapd = await startSlapd(LDIF, BASE, certificate);
});
afterAll(async () => slapd?.stop());

const dnOf = (aor: string) => `uid=${aor.replace(/^sip:/, '').split('@')[0]},${PEOPLE}`;
const ha1 = (aor: string, password: string) => {
  const user = aor.replace(/^sip:/, '').split('@')[0]!;
  return { presenceHA1: digestHa1('MD5', user, REALM, password), presenceHA1SHA256: digestHa1('SHA-256', user, REALM, password) };
};

/** The settings an OpenLDAP deployment uses (README's example): inetOrgPerson, HA1 attributes, company in `company`. */
const options = (): LdapOptions => ({
  url: slapd.url,
  startTls: false,
  baseDn: BASE,
  filter: '(&(objectClass=presenceUser)(!(description=disabled)))',
  mapping: { uri: ['msRTCSIP-PrimaryUserAddress', 'mail'], profile: { ...DEFAULT_LDAP_PROFILE }, ha1Md5: 'presenceHA1', ha1Sha256: 'presenceHA1SHA256' },
  domains: [REALM],
  timeoutMs: 5000,
});

const replace = (type: string, value: string) => new Change({ operation: 'replace', modification: new Attribute({ type, values: [value] }) });

async function asAdmin<T>(f: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ url: slapd.url });
  await c.bind(slapd.adminDn, slapd.adminPassword);
  try {
    return await f(c);
  } finally {
    await c.unbind();
  }
}

directoryContract('LDAP (OpenLDAP slapd)', async () => {
  const directory = new UserDirectory();
  const poll = pollLdap(directory, options(), createLogger({ level: 'silent' }), 100);
  directory.attach(poll.stop);
  await poll.first;
  return {
    directory,
    usernames: ['user'],
    add: (u: TestUser) =>
      asAdmin((c) =>
        c.add(dnOf(u.aor), {
          objectClass: ['inetOrgPerson', 'presenceUser'],
          uid: u.aor.replace(/^sip:/, '').split('@')[0]!,
          cn: u.displayName,
          sn: 'Example',
          'msRTCSIP-PrimaryUserAddress': u.aor,
          displayName: u.displayName,
          title: u.title,
          physicalDeliveryOfficeName: u.office,
          telephoneNumber: u.phone,
          company: u.company,
          l: u.city,
          st: u.state,
          c: u.country,
          mail: u.email,
          ...ha1(u.aor, u.password),
        }),
      ),
    disable: (aor) => asAdmin((c) => c.modify(dnOf(aor), replace('description', 'disabled'))),
    remove: (aor) => asAdmin((c) => c.del(dnOf(aor))),
    setPassword: (aor, password) =>
      asAdmin(async (c) => {
        for (const [type, value] of Object.entries(ha1(aor, password))) await c.modify(dnOf(aor), replace(type, value));
      }),
    close: async () => directory.close(),
  };
});

describe('LDAP specifics', () => {
  it('an entry outside PRESENCE_DOMAINS is skipped with a line naming it; mail stands in for a missing SIP address', async () => {
    const { users, skipped } = await readLdapUsers({ ...options(), filter: '(uid=mallory)' });
    expect(users).toEqual([]);
    expect(skipped).toEqual([`uid=mallory,${PEOPLE}: sip:mallory@fabrikam.com is not in PRESENCE_DOMAINS (contoso.com)`]);
  });

  it('reads over StartTLS and over ldaps:// with the CA given; refuses a server its CA list does not vouch for', async () => {
    const mallory = { ...options(), filter: '(uid=mallory)' };
    expect((await readLdapUsers({ ...mallory, startTls: true, caFile })).skipped).toHaveLength(1);
    expect((await readLdapUsers({ ...mallory, url: slapd.ldapsUrl!, caFile, bindDn: slapd.adminDn, bindPassword: slapd.adminPassword })).skipped).toHaveLength(1);
    const otherCa = join(mkdtempSync(join(tmpdir(), 'ldap-ca-')), 'other.pem');
    writeFileSync(otherCa, selfSignedCertificate('elsewhere', ['elsewhere']).cert);
    await expect(readLdapUsers({ ...mallory, url: slapd.ldapsUrl!, caFile: otherCa })).rejects.toThrow(/certificate/i);
  });

  it('a wrong bind password is an error, so the users last read are kept', async () => {
    await expect(readLdapUsers({ ...options(), bindDn: slapd.adminDn, bindPassword: 'wrong' })).rejects.toBeInstanceOf(InvalidCredentialsError);
  });
});

describe('the whole server on LDAP (embedded)', () => {
  let w: World | undefined;
  const clients: LyncClient[] = [];
  afterAll(async () => {
    for (const c of clients) c.close();
    await w?.stop();
  });

  it('signs in with the HA1 from LDAP, publishes contactCard and userProperties from its attributes, signs out an entry that leaves the filter', { timeout: 20_000 }, async () => {
    const dave = { ...testUser('dave', 'dave-pw'), title: 'Architect', company: 'Contoso' };
    await asAdmin((c) =>
      c.add(dnOf(dave.aor), {
        objectClass: ['inetOrgPerson', 'presenceUser'],
        uid: 'dave',
        cn: dave.displayName,
        sn: 'Example',
        'msRTCSIP-PrimaryUserAddress': dave.aor,
        displayName: dave.displayName,
        title: dave.title,
        company: dave.company,
        mail: dave.email,
        telephoneNumber: dave.phone,
        ...ha1(dave.aor, dave.password),
      }),
    );
    w = await startWorld({
      mode: 'embedded',
      env: {
        PRESENCE_AUTH: 'digest',
        PRESENCE_DIRECTORY: 'ldap',
        PRESENCE_LDAP_URL: slapd.url,
        PRESENCE_LDAP_BIND_DN: slapd.adminDn,
        PRESENCE_LDAP_BIND_PASSWORD: slapd.adminPassword,
        PRESENCE_LDAP_BASE_DN: BASE,
        PRESENCE_LDAP_FILTER: '(&(objectClass=presenceUser)(uid=dave)(!(description=disabled)))',
        PRESENCE_LDAP_HA1_ATTRIBUTE: 'presenceHA1',
        PRESENCE_LDAP_HA1_SHA256_ATTRIBUTE: 'presenceHA1SHA256',
        PRESENCE_LDAP_REFRESH_MS: '200',
      },
    });
    const c = await LyncClient.connect(w.ports.tcp, dave.aor);
    clients.push(c);
    expect((await signIn(c, 'dave', 'dave-pw', 'MD5')).status).toBe(200);
    expect(await serverPublication(w, dave.aor, 'contactCard', 0)).toBe(
      '<contactCard xmlns="http://schemas.microsoft.com/2006/09/sip/contactcard"><identity><name><displayName>Dave Example</displayName></name><email>dave@contoso.com</email></identity></contactCard>',
    );
    expect(await serverPublication(w, dave.aor, 'userProperties', 1)).toBe(
      '<userProperties xmlns="http://schemas.microsoft.com/2006/09/sip/categories"><lines><line lineType="Uc" lineServer="">tel:+14255550100</line></lines></userProperties>',
    );
    await asAdmin((x) => x.modify(dnOf(dave.aor), replace('description', 'disabled')));
    await eventually(() => c.sip.closed, 'dave signed out after the refresh');
    const again = await LyncClient.connect(w.ports.tcp, dave.aor);
    clients.push(again);
    expect((await signIn(again, 'dave', 'dave-pw', 'SHA-256')).status).toBe(401);
  });
});
