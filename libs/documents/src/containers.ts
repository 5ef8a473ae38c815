import { docOk, schemaError, type DocResult } from './errors.js';
import { NS } from './namespaces.js';
import { element, expectRoot, isUnsignedInt, parseXml } from './xml.js';

export type MemberType = 'user' | 'domain' | 'sameEnterprise' | 'federated' | 'publicCloud' | 'everyone';
const MEMBER_TYPES: readonly string[] = ['user', 'domain', 'sameEnterprise', 'federated', 'publicCloud', 'everyone'];
const DOMAIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;

export interface Member {
  readonly type: MemberType;
  readonly value?: string;
}

export interface ContainerView {
  readonly id: number;
  readonly version: number;
  readonly members: readonly Member[];
}

/** `<member type value/>` elements, as in container views and 409 fault operations. */
export function buildMembers(members: readonly Member[]): string {
  return members.map((m) => element('member', [['type', m.type], ['value', m.value]])).join('');
}

/** `<containers xmlns="…/containers">` ([MS-PRES] §2.2.2.5.1); an emptied container is an empty element. */
export function buildContainers(list: readonly ContainerView[]): string {
  const inner = list
    .map((c) =>
      element(
        'container',
        [
          ['id', c.id],
          ['version', c.version],
        ],
        buildMembers(c.members),
      ),
    )
    .join('');
  return element('containers', [['xmlns', NS.containers]], inner);
}

export interface MemberAction extends Member {
  readonly action: 'add' | 'remove';
}

export interface ContainerChange {
  /** 1-based position of the container element, for 409 operation indexes. */
  readonly index: number;
  readonly id: number;
  readonly version: number;
  readonly members: readonly MemberAction[];
}

/**
 * Parses `setContainerMembers` ([MS-PRES] §2.2.2.5.2, §6.11). `action` defaults to add; both
 * `remove` (schema, examples, real clients) and `delete` (the prose) remove. Container 0 can never
 * be changed; `value` is required for user and domain and forbidden for the other types.
 */
export function parseSetContainerMembers(body: string): DocResult<ContainerChange[]> {
  const parsed = parseXml(body);
  if (!parsed.ok) return parsed;
  const root = expectRoot(parsed.value, 'setContainerMembers', NS.containerManagement);
  if (!root.ok) return root;
  const containers = root.value.children.filter((c) => c.name === 'container');
  if (containers.length === 0) return schemaError('setContainerMembers must hold at least one container');
  const out: ContainerChange[] = [];
  const seen = new Set<number>();
  for (const [i, c] of containers.entries()) {
    const id = c.attrs.id;
    if (!/^\d{1,5}$/.test(id ?? '') || Number(id) < 1 || Number(id) > 32767) return schemaError(`container ${i + 1}: id must be 1..32767 (container 0 cannot be changed)`);
    if (!isUnsignedInt(c.attrs.version)) return schemaError(`container ${i + 1}: version must be an unsigned int`);
    if (seen.has(Number(id))) return schemaError(`container ${id} appears twice`);
    seen.add(Number(id));
    const members: MemberAction[] = [];
    const memberNodes = c.children.filter((m) => m.name === 'member');
    if (memberNodes.length === 0) return schemaError(`container ${id}: at least one member is required`);
    for (const m of memberNodes) {
      const { type, value, action } = m.attrs;
      if (!MEMBER_TYPES.includes(type ?? '')) return schemaError(`container ${id}: bad member type ${JSON.stringify(type)}`);
      const act = action ?? 'add';
      if (act !== 'add' && act !== 'remove' && act !== 'delete') return schemaError(`container ${id}: bad member action ${JSON.stringify(action)}`);
      if (type === 'user' || type === 'domain') {
        if (!value) return schemaError(`container ${id}: a ${type} member needs a value`);
        if (type === 'domain' && !DOMAIN.test(value)) return schemaError(`container ${id}: bad domain ${JSON.stringify(value)}`);
        if (type === 'user' && !/^(sips?:)?[^@\s]+@[^@\s]+$/i.test(value)) return schemaError(`container ${id}: bad user URI ${JSON.stringify(value)}`);
      } else if (value !== undefined) {
        return schemaError(`container ${id}: a ${type} member takes no value`);
      }
      members.push({ type: type as MemberType, ...(value !== undefined ? { value } : {}), action: act === 'add' ? 'add' : 'remove' });
    }
    out.push({ index: i + 1, id: Number(id), version: Number(c.attrs.version), members });
  }
  return docOk(out);
}
