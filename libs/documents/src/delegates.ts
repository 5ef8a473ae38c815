import { docOk, schemaError, type DocResult } from './errors.js';
import { NS } from './namespaces.js';
import { element, expectRoot, isUnsignedInt, parseXml } from './xml.js';

export interface DelegateView {
  /** Without `sip:`, as the examples write it. */
  readonly uri: string;
  readonly publish: boolean;
  readonly redelegate: boolean;
}

/** `<delegates xmlns="…/delegates" version="N">` ([MS-PRES] §2.2.2.10.1). */
export function buildDelegates(version: number, list: readonly DelegateView[]): string {
  const inner = list.map((d) => element('delegate', [['uri', d.uri], ['publish', d.publish], ['redelegate', d.redelegate]])).join('');
  return element('delegates', [['xmlns', NS.delegates], ['version', version]], inner);
}

export interface DelegateAction {
  readonly index: number;
  readonly uri: string;
  readonly action: 'add' | 'modify' | 'remove';
  /** From publishOperation/redelegateOperation `authorization` (allow → true); absent: false. */
  readonly publish: boolean;
  readonly redelegate: boolean;
}

/** Parses `setDelegates` ([MS-PRES] §2.2.2.10.2, §6.14). */
export function parseSetDelegates(body: string): DocResult<{ version: number; delegates: DelegateAction[] }> {
  const parsed = parseXml(body);
  if (!parsed.ok) return parsed;
  const root = expectRoot(parsed.value, 'setDelegates', NS.delegateManagement);
  if (!root.ok) return root;
  if (!isUnsignedInt(root.value.attrs.version)) return schemaError('setDelegates/@version must be an unsigned int');
  const nodes = root.value.children.filter((c) => c.name === 'delegate');
  if (nodes.length === 0) return schemaError('setDelegates must hold at least one delegate');
  const out: DelegateAction[] = [];
  for (const [i, d] of nodes.entries()) {
    const { uri, action } = d.attrs;
    if (!uri) return schemaError(`delegate ${i + 1}: uri is required`);
    if (action !== 'add' && action !== 'modify' && action !== 'remove') return schemaError(`delegate ${i + 1}: action must be add, modify or remove`);
    const auth = (name: string): boolean | undefined => {
      const n = d.children.find((c) => c.name === name);
      if (!n) return false;
      const a = n.attrs.authorization;
      return a === 'allow' ? true : a === 'deny' ? false : undefined;
    };
    const publish = auth('publishOperation');
    const redelegate = auth('redelegateOperation');
    if (publish === undefined || redelegate === undefined) return schemaError(`delegate ${i + 1}: authorization must be allow or deny`);
    out.push({ index: i + 1, uri, action, publish, redelegate });
  }
  return docOk({ version: Number(root.value.attrs.version), delegates: out });
}
