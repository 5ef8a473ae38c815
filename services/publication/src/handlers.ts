import type { SipReply, SipRequestCommand } from '@presence/bus';
import {
  buildCategories,
  buildDelegates,
  buildFault,
  buildRoamingData,
  CONTENT_TYPE,
  parsePublish,
  parseSetContainerMembers,
  parseSetDelegates,
  parseSetSubscribers,
} from '@presence/documents';
import {
  conflictFaults,
  delegateViews,
  planContainerMembers,
  planPublish,
  planSetDelegates,
  planSetSubscribers,
  sameAor,
  selfViewsOf,
  type PublicationPolicy,
} from '@presence/presence';
import { aorOf, commitAndAnnounce, commitWithAggregation, conflictReply, mediaType, reply, readPublications, roamingReply, type CommitDeps, type UserDirectory } from '@presence/runtime';
import { containers, delegates, getRecord, listRecords, publications, registrations, subscribers, type Partition } from '@presence/state';

export interface HandlerDeps extends CommitDeps {
  readonly policy: PublicationPolicy;
  readonly directory: UserDirectory | undefined;
}

const PUBLISH_DIAGNOSTICS = '2044;reason="Publication version out of date"';
// The spec names no code for container conflicts (digest §6.4); the publish one is reused.
const CONTAINER_DIAGNOSTICS = '2044;reason="Container version out of date"';

/** The UUID of a `+sip.instance` value (`"<urn:uuid:…>"`), shown as endpointId (§2.2.2.1). */
function endpointIdOf(instance: string | undefined): string | undefined {
  return instance?.replace(/^"?<?urn:uuid:/i, '').replace(/>?"?$/, '') || undefined;
}

/** SERVICE requests of the publication service, by Content-Type ([MS-PRES] §2.2.2.2, 2.2.2.5, 2.2.2.6, 2.2.2.10). */
export async function handleService(d: HandlerDeps, cmd: SipRequestCommand): Promise<SipReply> {
  if (cmd.method !== 'SERVICE') return reply(405);
  const p: Partition = { pool: d.pool, user: cmd.user };
  const from = aorOf(cmd, 'From');
  const to = aorOf(cmd, 'To');
  if (!from || !to) return reply(400, 'Bad From or To');
  if (cmd.body.trim() === '') return reply(400, 'Missing Body');
  switch (mediaType(cmd)) {
    case CONTENT_TYPE.publish:
      return publish(d, cmd, p, from, to);
    case CONTENT_TYPE.setContainerMembers:
      return setContainerMembers(d, cmd, p, from, to);
    case CONTENT_TYPE.setSubscribers:
      return setSubscribers(d, cmd, p, from, to);
    case CONTENT_TYPE.setDelegates:
      return setDelegates(d, cmd, p, from, to);
    default:
      return reply(415);
  }
}

async function publish(d: HandlerDeps, cmd: SipRequestCommand, p: Partition, from: string, to: string): Promise<SipReply> {
  const doc = parsePublish(cmd.body);
  if (!doc.ok) return reply(400, doc.error.message.slice(0, 120));
  // A conflict on a computed instance only (another endpoint's publish got in first) is not the
  // client's: plan again on the new state. A conflict on the client's own publications is a 409.
  for (let attempt = 0; ; attempt++) {
    const [snap, reg] = await Promise.all([readPublications(d.store, p), cmd.epid ? getRecord(d.store, p, registrations, cmd.epid) : Promise.resolve(undefined)]);
    const endpointId = endpointIdOf(reg?.value.instance);
    const now = new Date(d.now?.() ?? Date.now());
    const plan = planPublish(doc.value, {
      publisher: cmd.user,
      fromAor: from,
      toAor: to,
      ...(reg ? { endpoint: { epid: reg.id, ...(endpointId ? { endpointId } : {}) } } : {}),
      now,
      current: snap.records,
      policy: d.policy,
    });
    if (!plan.ok) return plan.faults ? conflictReply(PUBLISH_DIAGNOSTICS, buildFault(plan.faults)) : reply(plan.status, plan.reason);
    const all = await commitWithAggregation(d, p, snap, plan.changes, plan.touched, { now });
    const r = all.result;
    if (!r.ok) {
      const mine = r.conflicts.filter((c) => c.index < all.clientChanges);
      if (mine.length > 0 || attempt >= 5) return conflictReply(PUBLISH_DIAGNOSTICS, buildFault(conflictFaults(doc.value, mine.length > 0 ? mine : r.conflicts)));
      continue;
    }
    // The 200 carries every instance of each touched (container, category), computed ones included (§3.2.5.1.2, §4.3).
    const after = await listRecords(d.store, p, publications);
    return roamingReply(buildRoamingData({ categories: buildCategories(cmd.user, selfViewsOf(after, all.touched)) }));
  }
}

async function setContainerMembers(d: HandlerDeps, cmd: SipRequestCommand, p: Partition, from: string, to: string): Promise<SipReply> {
  if (!sameAor(from, to)) return reply(403, 'From and To differ');
  const doc = parseSetContainerMembers(cmd.body);
  if (!doc.ok) return reply(400, doc.error.message.slice(0, 120));
  const plan = planContainerMembers(doc.value, await listRecords(d.store, p, containers), d.policy);
  if (!plan.ok) return plan.faults ? conflictReply(CONTAINER_DIAGNOSTICS, buildFault(plan.faults)) : reply(plan.status, plan.reason);
  const r = await commitAndAnnounce(d, p, plan.changes, { containers: [...plan.touched] });
  if (!r.ok) {
    const faults = r.conflicts.map((c) => ({ index: doc.value.find((x) => String(x.id) === c.id)?.index ?? 1, version: c.expected, curVersion: c.current?.version ?? 0, data: '' }));
    return conflictReply(CONTAINER_DIAGNOSTICS, buildFault(faults));
  }
  return reply(200);
}

async function setSubscribers(d: HandlerDeps, cmd: SipRequestCommand, p: Partition, from: string, to: string): Promise<SipReply> {
  if (!sameAor(from, to)) return reply(403, 'From and To differ');
  const doc = parseSetSubscribers(cmd.body);
  if (!doc.ok) return reply(400, doc.error.message.slice(0, 120));
  const user = doc.value.user.startsWith('sip:') ? doc.value.user : `sip:${doc.value.user}`;
  const plan = planSetSubscribers(user, doc.value.acknowledged, await listRecords(d.store, p, subscribers));
  if (!plan.ok) return reply(plan.status, plan.reason);
  const r = await commitAndAnnounce(d, p, plan.changes, { subscribers: true });
  return r.ok ? reply(200) : reply(500, 'Concurrent Change, Retry');
}

async function setDelegates(d: HandlerDeps, cmd: SipRequestCommand, p: Partition, from: string, to: string): Promise<SipReply> {
  if (!sameAor(from, to)) return reply(403, 'From and To differ');
  const doc = parseSetDelegates(cmd.body);
  if (!doc.ok) return reply(400, doc.error.message.slice(0, 120));
  const current = await getRecord(d.store, p, delegates, 'set');
  // Without a directory (clustered edge-less tests), any user of a served domain counts as deployed.
  const isDeploymentUser = (uri: string) => (d.directory ? d.directory.get(uri) !== undefined : true);
  const plan = planSetDelegates(doc.value, cmd.user, current, isDeploymentUser);
  if (!plan.ok) return plan.faults ? conflictReply(plan.diagnostics!, buildFault(plan.faults)) : reply(plan.status, plan.reason);
  const r = await commitAndAnnounce(d, p, plan.changes, { delegates: true });
  if (!r.ok) return conflictReply('2141;reason="Delegate version is out of date"', buildFault([{ index: 1, version: doc.value.version, curVersion: r.conflicts[0]?.current?.version ?? 0, data: '' }]));
  const view = delegateViews(await getRecord(d.store, p, delegates, 'set'));
  return roamingReply(buildRoamingData({ delegates: buildDelegates(view.version, view.list) }));
}
