import { NS } from './namespaces.js';
import { element, esc } from './xml.js';

/** contactCard data from the directory ([MS-PRES] §3.2.6.2, §2.2.2.7.3): identity name and email. */
export function buildContactCard(displayName: string, email?: string): string {
  const identity = `<identity><name><displayName>${esc(displayName)}</displayName></name>${email ? `<email>${esc(email)}</email>` : ''}</identity>`;
  return element('contactCard', [['xmlns', NS.contactCard]], identity);
}

/** legacyInterop for container 32000: hard-coded offline (§3.2.6.2). */
export function buildLegacyInterop(): string {
  return element('legacyInterop', [['xmlns', NS.categories], ['availability', 18500]]);
}

/** userProperties for container 1 (§3.2.6.2, §2.2.2.7): the user's own properties from the directory. */
export function buildUserProperties(lines: { readonly telephone?: string } = {}): string {
  const inner = lines.telephone ? `<lines><line lineType="Uc" lineServer="">${esc(lines.telephone)}</line></lines>` : '';
  return element('userProperties', [['xmlns', NS.categories]], inner);
}
