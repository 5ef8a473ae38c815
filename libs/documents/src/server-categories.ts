import { NS } from './namespaces.js';
import { element, esc } from './xml.js';

/**
 * A directory phone number as a tel URI (the form of [MS-PRES] §2.2.2.7.5 phone/uri, "the normalized
 * tel URI", used for the userProperties line): its digits with a leading +, an extension after
 * x/ext as `;ext=`; undefined without digits.
 */
export function telUri(phone: string): string | undefined {
  const [main, ext] = phone.split(/\s*(?:x|ext\.?)\s*/i, 2) as [string, string | undefined];
  const digits = main.replace(/[^0-9]/g, '');
  if (digits === '') return undefined;
  const extDigits = ext?.replace(/[^0-9]/g, '');
  return `tel:${main.trim().startsWith('+') ? '+' : ''}${digits}${extDigits ? `;ext=${extDigits}` : ''}`;
}

/**
 * contactCard data from the directory ([MS-PRES] §2.2.2.7.5): the server publishes only the
 * identity's displayName and email (§3.2.6.2 table); title, office, phone and the rest reach
 * clients through directory search (§3.1) instead.
 */
export function buildContactCard(displayName: string, email?: string): string {
  const identity = `<identity><name><displayName>${esc(displayName)}</displayName></name>${email ? `<email>${esc(email)}</email>` : ''}</identity>`;
  return element('contactCard', [['xmlns', NS.contactCard]], identity);
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
