import type { SipRequestCommand } from '@presence/bus';
import { listRecords, registrations, type Partition, type Store } from '@presence/state';

/**
 * The registered endpoint a request came from: its epid when the client sends one (From `epid`,
 * [MS-SIP]), else the registration held on the same edge connection (standard clients send no
 * epid; the registrar gave theirs one). '' when the sender is not registered here (a federated
 * watcher): then nothing of its ends with a sign-out, only with expiry.
 */
export async function endpointOf(store: Store, p: Partition, cmd: SipRequestCommand): Promise<string> {
  if (cmd.epid) return cmd.epid;
  const regs = await listRecords(store, p, registrations);
  return regs.find((r) => r.value.edgeId === cmd.edgeId && r.value.connectionId === cmd.connectionId)?.id ?? '';
}
