import type { SipReply, SipRequestCommand } from '@presence/bus';
import { CONTENT_TYPE, parseRoamingList } from '@presence/documents';
import { handleOwnSubscribe, type OwnPackage, type OwnSubscriptionDeps } from './own-subscription.js';
import { selfDocument } from './self-view.js';

export const ROAMING_SELF = 'vnd-microsoft-roaming-self';

export type SelfDeps = OwnSubscriptionDeps;

/**
 * Roaming-self ([MS-PRES] §3.3.5.1): the roamingList body names the types in the dialog's scope; a
 * new self dialog of an endpoint ends its older ones.
 */
const roamingSelf: OwnPackage = {
  event: ROAMING_SELF,
  contentType: CONTENT_TYPE.roamingSelf,
  headers: [{ name: 'Require', value: 'eventlist' }],
  read: (cmd) => {
    const scope = parseRoamingList(cmd.body);
    return scope.ok ? { scope: [...scope.value] } : scope.error.message;
  },
  document: async (d, p, fields) => (await selfDocument(d.store, p, new Set(fields.scope ?? [])))!,
  onePerEndpoint: true,
};

export function handleSelfSubscribe(d: SelfDeps, cmd: SipRequestCommand): Promise<SipReply> {
  return handleOwnSubscribe(d, cmd, roamingSelf);
}
