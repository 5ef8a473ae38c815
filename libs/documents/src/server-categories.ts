import { NS } from './namespaces.js';
import { element, esc } from './xml.js';

/** What the directory knows of a user besides name and e-mail, for the contactCard ([MS-PRES] §2.2.2.7.5). */
export interface ContactCardDetails {
  readonly company?: string;
  readonly title?: string;
  readonly office?: string;
  /** As the directory holds it, e.g. `+1 (425) 555-0100 x123`. */
  readonly phone?: string;
  readonly city?: string;
  readonly state?: string;
  /** ISO 3166 two-letter code; anything else is left out (§2.2.2.7.5 countryCode MUST be one). */
  readonly country?: string;
}

/**
 * A directory phone number as a tel URI ([MS-PRES] §2.2.2.7.5 phone/uri: "the normalized tel URI"):
 * its digits with a leading +, an extension after x/ext as `;ext=`; undefined without digits.
 */
export function telUri(phone: string): string | undefined {
  const [main, ext] = phone.split(/\s*(?:x|ext\.?)\s*/i, 2) as [string, string | undefined];
  const digits = main.replace(/[^0-9]/g, '');
  if (digits === '') return undefined;
  const extDigits = ext?.replace(/[^0-9]/g, '');
  return `tel:${main.trim().startsWith('+') ? '+' : ''}${digits}${extDigits ? `;ext=${extDigits}` : ''}`;
}

/**
 * contactCard data from the directory ([MS-PRES] §3.2.6.2, §2.2.2.7.5): identity (name, email), then
 * in the order of the schema (§7.3) the work address, company, title, office and work phone.
 */
export function buildContactCard(displayName: string, email?: string, d: ContactCardDetails = {}): string {
  const identity = `<identity><name><displayName>${esc(displayName)}</displayName></name>${email ? `<email>${esc(email)}</email>` : ''}</identity>`;
  const country = d.country && /^[A-Za-z]{2}$/.test(d.country) ? d.country.toUpperCase() : undefined;
  const address =
    d.city || d.state || country
      ? `<address type="work">${d.city ? `<city>${esc(d.city)}</city>` : ''}${d.state ? `<state>${esc(d.state)}</state>` : ''}${country ? `<countryCode>${country}</countryCode>` : ''}</address>`
      : '';
  const text = (name: string, v: string | undefined) => (v ? `<${name}>${esc(v)}</${name}>` : '');
  const tel = d.phone ? telUri(d.phone) : undefined;
  const phone = d.phone ? `<phone type="work">${tel ? `<uri>${esc(tel)}</uri>` : ''}<displayString>${esc(d.phone)}</displayString></phone>` : '';
  return element('contactCard', [['xmlns', NS.contactCard]], `${identity}${address}${text('company', d.company)}${text('title', d.title)}${text('office', d.office)}${phone}`);
}

/**
 * legacyInterop ([MS-PRES] §2.2.2.7.6): the server's container-32000 instance is hard-coded offline
 * (§3.2.6.2); computed ones carry the aggregated availability and activity token (§3.8.5.1.1).
 */
export function buildLegacyInterop(availability = 18500, token?: string): string {
  return element('legacyInterop', [['xmlns', NS.categories], ['availability', availability], ['token', token]]);
}

/** userProperties for container 1 (§3.2.6.2, §2.2.2.7): the user's own properties from the directory. */
export function buildUserProperties(lines: { readonly telephone?: string } = {}): string {
  const inner = lines.telephone ? `<lines><line lineType="Uc" lineServer="">${esc(lines.telephone)}</line></lines>` : '';
  return element('userProperties', [['xmlns', NS.categories]], inner);
}
