import { NS } from './namespaces.js';
import { element, esc } from './xml.js';

/** contactCard data from the directory ([MS-PRES] §3.2.6.2, §2.2.2.7.3): identity name and email. */
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
