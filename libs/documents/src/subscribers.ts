import { docOk, schemaError, type DocResult } from './errors.js';
import { NS } from './namespaces.js';
import { element, expectRoot, parseXml } from './xml.js';

export interface SubscriberView {
  /** Without `sip:`, as the examples write it. */
  readonly user: string;
  readonly displayName: string;
  readonly acknowledged: boolean;
  readonly type?: string;
  /** Copy of the SUBSCRIBE's non-empty context (inner XML). */
  readonly context?: string;
}

/** `<subscribers xmlns="…/presence-subscribers">` ([MS-PRES] §2.2.2.6.1), always the full list. */
export function buildSubscribers(list: readonly SubscriberView[]): string {
  const inner = list
    .map((s) =>
      element(
        'subscriber',
        [
          ['user', s.user],
          ['displayName', s.displayName],
          ['acknowledged', s.acknowledged],
          ['type', s.type],
        ],
        s.context ? element('context', [], s.context) : '',
      ),
    )
    .join('');
  return element('subscribers', [['xmlns', NS.subscribers]], inner);
}

/** Parses `setSubscribers` ([MS-PRES] §2.2.2.6.2, §6.12): exactly one subscriber. */
export function parseSetSubscribers(body: string): DocResult<{ user: string; acknowledged: boolean }> {
  const parsed = parseXml(body);
  if (!parsed.ok) return parsed;
  const root = expectRoot(parsed.value, 'setSubscribers', NS.subscribers);
  if (!root.ok) return root;
  const subs = root.value.children.filter((c) => c.name === 'subscriber');
  if (subs.length !== 1) return schemaError('setSubscribers must hold exactly one subscriber');
  const { user, acknowledged } = subs[0]!.attrs;
  if (!user) return schemaError('subscriber/@user is required');
  if (acknowledged !== 'true' && acknowledged !== 'false' && acknowledged !== '1' && acknowledged !== '0') return schemaError('subscriber/@acknowledged must be a boolean');
  return docOk({ user, acknowledged: acknowledged === 'true' || acknowledged === '1' });
}
