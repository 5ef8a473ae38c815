import type { ResultRow, SearchRow } from '@presence/documents';

/** What the user directory knows of a person (the users file today; an LDAP directory later). */
export interface DirectoryPerson {
  /** `sip:alice@contoso.com` */
  readonly uri: string;
  readonly displayName?: string;
  readonly givenName?: string;
  readonly surname?: string;
  readonly title?: string;
  readonly office?: string;
  readonly phone?: string;
  readonly company?: string;
  readonly city?: string;
  readonly state?: string;
  readonly country?: string;
  readonly email?: string;
}

const words = (p: DirectoryPerson) => (p.displayName ?? '').trim().split(/\s+/).filter((w) => w !== '');

/**
 * The values of an Active Directory attribute for a person ([MS-PRES] §8.3 maps the result
 * attributes to AD's: mail, telephoneNumber, physicalDeliveryOfficeName, l, st, c). givenName and
 * sn fall back to the first and last word of the display name when the directory has no value.
 * The macros of §3.1.5.1 (digest part 3): msRTCURI is the SIP address, matched with or without its
 * scheme; msRTCMail is the e-mail address. An attribute the directory does not hold has no value.
 */
function valuesOf(p: DirectoryPerson, attrib: string): string[] {
  const one = (v: string | undefined) => (v === undefined || v === '' ? [] : [v]);
  switch (attrib.toLowerCase()) {
    case 'msrtcuri':
    case 'msrtcsip-primaryuseraddress':
      return [p.uri, p.uri.replace(/^sips?:/i, '')];
    case 'msrtcmail':
    case 'mail':
      return one(p.email);
    case 'displayname':
    case 'name':
    case 'cn':
      return one(p.displayName);
    case 'givenname':
      return one(p.givenName ?? words(p)[0]);
    case 'sn':
      return one(p.surname ?? (words(p).length > 1 ? words(p).at(-1) : undefined));
    case 'title':
      return one(p.title);
    case 'physicaldeliveryofficename':
      return one(p.office);
    case 'telephonenumber':
      return one(p.phone);
    case 'company':
      return one(p.company);
    case 'l':
      return one(p.city);
    case 'st':
      return one(p.state);
    case 'c':
    case 'co':
      return one(p.country);
    default:
      return [];
  }
}

/** An LDAP `(attr=value*)`: a case-insensitive prefix; an empty value asks that the attribute have one. */
function matches(p: DirectoryPerson, row: SearchRow): boolean {
  const prefix = row.value.replace(/\*+$/, '').toLowerCase();
  return valuesOf(p, row.attrib).some((v) => v.toLowerCase().startsWith(prefix));
}

export interface SearchOutcome {
  readonly rows: readonly ResultRow[];
  readonly moreAvailable: boolean;
}

/**
 * A directory search ([MS-PRES] §3.1.5.2): the people matching every row (logical AND), ordered by
 * display name then address, at most `min(maxResults, adminMax)` of them; `moreAvailable` when
 * more matched than are returned.
 */
export function searchDirectory(people: Iterable<DirectoryPerson>, rows: readonly SearchRow[], maxResults: number, adminMax: number): SearchOutcome {
  const limit = Math.max(0, Math.min(maxResults, adminMax));
  const found = [...people].filter((p) => rows.every((r) => matches(p, r)));
  found.sort((a, b) => (a.displayName ?? '').localeCompare(b.displayName ?? '') || a.uri.localeCompare(b.uri));
  return {
    rows: found.slice(0, limit).map((p) => ({
      uri: p.uri,
      displayName: p.displayName ?? '',
      title: p.title ?? '',
      office: p.office ?? '',
      phone: p.phone ?? '',
      company: p.company ?? '',
      city: p.city ?? '',
      state: p.state ?? '',
      country: p.country ?? '',
      email: p.email ?? '',
    })),
    moreAvailable: found.length > limit,
  };
}
