import { docOk, type DocResult } from './errors.js';
import { element, esc, parseXml, type XmlNode } from './xml.js';

/** The namespace of provisioning answers (vnd-microsoft-provisioning-v2). */
export const PROVISIONING_NOTIFICATION_NS = 'http://schemas.microsoft.com/2006/09/sip/provisiongrouplist-notification';

/** A provisioning group and its properties, as configuration gives them. */
export interface ProvisionGroup {
  readonly name: string;
  readonly properties: Readonly<Record<string, string>>;
}

/**
 * The group names a provisioning SUBSCRIBE asks for: the `name` of each listed group element. An
 * empty body asks for nothing in particular (every configured group is sent). Element names vary
 * between client generations (`provisioningGroup`, `provisionGroup`), so any `provision…` element counts.
 */
export function parseProvisioningRequest(body: string): DocResult<string[] | undefined> {
  if (body.trim() === '') return docOk(undefined);
  const parsed = parseXml(body);
  if (!parsed.ok) return parsed;
  const names: string[] = [];
  const walk = (n: XmlNode) => {
    for (const c of n.children) {
      if (/^provision/i.test(c.name) && c.attrs.name) names.push(c.attrs.name);
      walk(c);
    }
  };
  walk(parsed.value);
  return docOk(names);
}

/**
 * Groups whose values Lync-family clients read as child elements of `provisionGroup`
 * (`<focusFactoryUri>`, `<absInternalServerUrl>`, `<mrasUri>`, ...); every other group carries
 * `propertyEntryList/property` (`persistentChatConfiguration`, `ucPolicy`, ...). This is the layout
 * of Lync Server's answers, which clients read by element name.
 */
export const ELEMENT_GROUPS: ReadonlySet<string> = new Set(['ServerConfiguration']);

/** An XML element name a configured ServerConfiguration value may be written as (no prefix). */
export function isProvisioningElementName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name) && !/^xml/i.test(name);
}

/** The provisionGroupList answer: each group in the layout clients read (empty for unknown groups). */
export function buildProvisionGroupList(groups: readonly ProvisionGroup[]): string {
  const inner = groups
    .map((g) => {
      const entries = Object.entries(g.properties);
      const content = ELEMENT_GROUPS.has(g.name)
        ? entries.filter(([k]) => isProvisioningElementName(k)).map(([k, v]) => `<${k}>${esc(v)}</${k}>`).join('')
        : `<propertyEntryList>${entries.map(([k, v]) => `<property name="${esc(k)}">${esc(v)}</property>`).join('')}</propertyEntryList>`;
      return element('provisionGroup', [['name', g.name]], content);
    })
    .join('');
  return `<provisionGroupList xmlns="${PROVISIONING_NOTIFICATION_NS}">${inner}</provisionGroupList>`;
}
