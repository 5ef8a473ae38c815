import { docOk, schemaError, type DocResult } from './errors.js';
import { NS } from './namespaces.js';
import { element, expectRoot, parseXml } from './xml.js';

export type RoamingType = 'categories' | 'containers' | 'subscribers' | 'delegates';
const ROAMING: readonly string[] = ['categories', 'containers', 'subscribers'];

/**
 * Parses a self-subscription `roamingList` ([MS-PRES] §2.2.2.3.1, §6.6): the scope of the dialog.
 * `roamingEx` types other than `delegates` are schema-valid (a union with xs:string) and ignored.
 */
export function parseRoamingList(body: string): DocResult<ReadonlySet<RoamingType>> {
  const parsed = parseXml(body);
  if (!parsed.ok) return parsed;
  const root = expectRoot(parsed.value, 'roamingList', NS.roamingSelf);
  if (!root.ok) return root;
  const scope = new Set<RoamingType>();
  let roamingCount = 0;
  for (const c of root.value.children) {
    if (c.name === 'roaming' && c.ns === NS.roamingSelf) {
      roamingCount++;
      if (!ROAMING.includes(c.attrs.type ?? '')) return schemaError(`roaming type must be categories, containers or subscribers, got ${JSON.stringify(c.attrs.type)}`);
      scope.add(c.attrs.type as RoamingType);
    } else if (c.name === 'roamingEx' && c.ns === NS.roamingSelfEx) {
      if (c.attrs.type === 'delegates') scope.add('delegates');
    }
  }
  if (roamingCount === 0) return schemaError('roamingList must hold at least one roaming element');
  return docOk(scope);
}

/** The parts of a `roamingData` document; each is a complete XML element built by its builder. */
export interface RoamingParts {
  categories?: string;
  containers?: string;
  subscribers?: string;
  delegates?: string;
}

/**
 * `roamingData` ([MS-PRES] §2.2.2.3.2, §6.7) with its children in schema order, declaring the
 * prefixes the examples declare.
 */
export function buildRoamingData(parts: RoamingParts): string {
  const inner = [parts.categories, parts.containers, parts.subscribers, parts.delegates].filter((p) => p !== undefined).join('');
  return element(
    'roamingData',
    [
      ['xmlns', NS.roamingSelf],
      ['xmlns:cat', NS.categories],
      ['xmlns:con', NS.containers],
      ['xmlns:sub', NS.subscribers],
      ['xmlns:del', NS.delegates],
    ],
    inner,
  );
}
