import type { DelegateAction, DelegateView, FaultOperation } from '@presence/documents';
import { delegates, put, type Change, type DelegateEntry, type DelegateSetRecord, type StoredRecord } from '@presence/state';
import { sameAor } from './publish.js';

export type DelegateOutcome =
  | { readonly ok: true; readonly changes: readonly Change[] }
  | { readonly ok: false; readonly status: number; readonly reason: string; readonly diagnostics?: string; readonly faults?: readonly FaultOperation[] };

/**
 * setDelegates ([MS-PRES] §3.9.5.2, errors §3.9.5.4): the request's version must be the delegate
 * set's (409 with ms-diagnostics 2141); a delegate may not be the delegator (400) and must be a user
 * of the deployment (404); removing one that is not a delegate is 403; add and modify both upsert.
 */
export function planSetDelegates(
  req: { version: number; delegates: readonly DelegateAction[] },
  delegator: string,
  current: StoredRecord<DelegateSetRecord> | undefined,
  isDeploymentUser: (uri: string) => boolean,
): DelegateOutcome {
  const curVersion = current?.version ?? 0;
  if (req.version !== curVersion) {
    return {
      ok: false,
      status: 409,
      reason: 'Conflict',
      diagnostics: '2141;reason="Delegate version is out of date"',
      faults: [{ index: 1, version: req.version, curVersion, data: '' }],
    };
  }
  const list = new Map<string, DelegateEntry>((current?.value.delegates ?? []).map((d) => [norm(d.uri), d]));
  for (const d of req.delegates) {
    const uri = d.uri.startsWith('sip:') ? d.uri : `sip:${d.uri}`;
    if (sameAor(uri, delegator)) return { ok: false, status: 400, reason: 'a user cannot be their own delegate' };
    if (!isDeploymentUser(uri)) return { ok: false, status: 404, reason: `${uri} is not a user of this deployment` };
    if (d.action === 'remove') {
      if (!list.delete(norm(uri))) return { ok: false, status: 403, reason: `${uri} is not a delegate` };
    } else {
      list.set(norm(uri), { uri, publish: d.publish, redelegate: d.redelegate });
    }
  }
  return { ok: true, changes: [put(delegates, { delegates: [...list.values()] }, { expect: curVersion })] };
}

const norm = (u: string) => u.replace(/^sips?:/i, '').toLowerCase();

export function delegateViews(current: StoredRecord<DelegateSetRecord> | undefined): { version: number; list: DelegateView[] } {
  return {
    version: current?.version ?? 0,
    list: (current?.value.delegates ?? []).map((d) => ({ uri: d.uri.replace(/^sips?:/i, ''), publish: d.publish, redelegate: d.redelegate })),
  };
}
