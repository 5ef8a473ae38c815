import { describe, expect, it } from 'vitest';
import { searchDirectory, type DirectoryPerson } from '../src/index.js';

const people: DirectoryPerson[] = [
  { uri: 'sip:alice@contoso.com', displayName: 'Alice Smith', email: 'alice.smith@contoso.com', company: 'Contoso', country: 'US' },
  { uri: 'sip:al@contoso.com', displayName: 'Al Jones', givenName: 'Albert' },
  { uri: 'sip:bob@contoso.com', displayName: 'Bob' },
];
const uris = (o: ReturnType<typeof searchDirectory>) => o.rows.map((r) => r.uri);

describe('directory search ([MS-PRES] §3.1.5.2)', () => {
  it('matches a case-insensitive prefix; givenName and sn fall back to the words of the display name', () => {
    expect(uris(searchDirectory(people, [{ attrib: 'givenName', value: 'al' }], 10, 10))).toEqual(['sip:al@contoso.com', 'sip:alice@contoso.com']);
    expect(uris(searchDirectory(people, [{ attrib: 'givenName', value: 'alb' }], 10, 10))).toEqual(['sip:al@contoso.com']);
    expect(uris(searchDirectory(people, [{ attrib: 'sn', value: 'smi' }], 10, 10))).toEqual(['sip:alice@contoso.com']);
    // A one-word display name has no surname.
    expect(uris(searchDirectory(people, [{ attrib: 'sn', value: 'b' }], 10, 10))).toEqual([]);
  });

  it('expands the macros: msRTCURI with or without the scheme, msRTCMail the e-mail address', () => {
    expect(uris(searchDirectory(people, [{ attrib: 'msRTCURI', value: 'sip:AL' }], 10, 10))).toEqual(['sip:al@contoso.com', 'sip:alice@contoso.com']);
    expect(uris(searchDirectory(people, [{ attrib: 'msRTCMail', value: 'alice.s' }], 10, 10))).toEqual(['sip:alice@contoso.com']);
  });

  it('ANDs rows; an attribute the directory does not hold matches nobody; an empty value asks for any value', () => {
    expect(uris(searchDirectory(people, [{ attrib: 'givenName', value: 'al' }, { attrib: 'c', value: 'us' }], 10, 10))).toEqual(['sip:alice@contoso.com']);
    expect(uris(searchDirectory(people, [{ attrib: 'department', value: '' }], 10, 10))).toEqual([]);
    expect(uris(searchDirectory(people, [{ attrib: 'company', value: '*' }], 10, 10))).toEqual(['sip:alice@contoso.com']);
    expect(uris(searchDirectory(people, [], 10, 10))).toHaveLength(3);
  });

  it('returns at most the lower of maxResults and the administrator’s limit, with moreAvailable when more matched', () => {
    expect(searchDirectory(people, [], 10, 2)).toMatchObject({ moreAvailable: true });
    expect(searchDirectory(people, [], 1, 100).rows).toHaveLength(1);
    expect(searchDirectory(people, [], 3, 100).moreAvailable).toBe(false);
    expect(searchDirectory(people, [], 0, 100)).toEqual({ rows: [], moreAvailable: true });
    // Every row has all ten attributes, empty when unknown.
    expect(searchDirectory(people, [{ attrib: 'displayName', value: 'bob' }], 10, 10).rows).toEqual([
      { uri: 'sip:bob@contoso.com', displayName: 'Bob', title: '', office: '', phone: '', company: '', city: '', state: '', country: '', email: '' },
    ]);
  });
});
