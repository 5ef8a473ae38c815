import type { SipReply, SipRequestCommand } from '@presence/bus';
import { buildPersonalNote, buildPidfMachineState, parsePidf, PIDF_CONTENT_TYPE } from '@presence/documents';
import { publishTime, sameAor, stateOfPidf, type CategoryKey } from '@presence/presence';
import { aorOf, commitWithAggregation, header, mediaType, readPublications, reply } from '@presence/runtime';
import { randomToken } from '@presence/sip';
import { getRecord, publications, put, registrations, remove, type Change, type Partition, type PublicationRecord, type StoredRecord } from '@presence/state';
import { PUBLISH_EXPIRES } from './config.js';
import { endpointOf } from './endpoint.js';
import type { FedDeps } from './notify.js';
import { etags, type EtagRecord } from './records.js';

/** Containers a PIDF note goes to, as an enhanced client publishes its note ([MS-PRES] §4.2.1). */
const NOTE_CONTAINERS = [200, 300, 400];
const RACED = 'publication kept racing other publishes';

/** The category instances a PIDF document becomes (README "Standard SIP clients (PIDF)"). */
function instancesOf(body: string, instance: string, epid: string, endpointId: string | undefined, now: Date, current: readonly StoredRecord<PublicationRecord>[]): { records: PublicationRecord[] } | { error: string } {
  const doc = parsePidf(body);
  if (!doc.ok) return { error: doc.error.message };
  const state = stateOfPidf(doc.value.basic, doc.value.activities);
  const prev = (container: number, name: string) => current.find((r) => r.value.container === container && r.value.categoryName === name && r.value.instance === instance)?.value.publishTime;
  const base = (container: number, categoryName: string, data: string): PublicationRecord => ({
    categoryName,
    instance,
    container,
    expireType: 'endpoint',
    epid,
    ...(endpointId ? { endpointId } : {}),
    publishTime: publishTime(now, prev(container, categoryName)),
    data,
  });
  const records = [base(2, 'state', buildPidfMachineState(state.availability, state.token))];
  if (doc.value.note) records.push(...NOTE_CONTAINERS.map((c) => base(c, 'note', buildPersonalNote(doc.value.note!))));
  return { records };
}

/**
 * Commits a PIDF publication's instances (and the removal of those it no longer has) together with
 * the aggregation they trigger ([MS-PRES] §3.8) and the entity-tag record, announcing the change so
 * every kind of watcher hears of it. A race with another publish of the user is planned again.
 */
async function commit(d: FedDeps, p: Partition, plan: (current: StoredRecord<PublicationRecord>[]) => { records: PublicationRecord[]; drop: readonly string[]; etag: Change[]; expiresAt?: number } | { error: string }): Promise<{ ok: true } | { ok: false; error: string }> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const snap = await readPublications(d.store, p);
    const current = snap.records;
    const planned = plan(current);
    if ('error' in planned) return { ok: false, error: planned.error };
    const version = (id: string) => current.find((r) => r.id === id)?.version ?? 0;
    const puts = planned.records.map((r) => put(publications, r, { expect: version(publications.idOf(r)), ...(planned.expiresAt !== undefined ? { expiresAt: planned.expiresAt } : {}) }));
    const kept = new Set(puts.map((c) => c.id));
    const drops = planned.drop.filter((id) => !kept.has(id) && version(id) > 0).map((id) => remove(publications, id, { expect: version(id) }));
    const changes = [...puts, ...drops];
    const touched = new Map<string, CategoryKey>();
    for (const c of changes) {
      const rec = c.op === 'put' ? (c.value as PublicationRecord) : current.find((r) => r.id === c.id)!.value;
      touched.set(`${rec.container}:${rec.categoryName}`, { container: rec.container, name: rec.categoryName });
    }
    const { result: r } = await commitWithAggregation(d, p, snap, changes, [...touched.values()], { extra: planned.etag });
    if (r.ok) return { ok: true };
    // The entity tag was used by a concurrent request first: this one names a tag that is gone.
    if (r.conflicts.some((c) => c.collection === etags.name)) return { ok: false, error: 'etag' };
  }
  return { ok: false, error: RACED };
}

/** The UUID of an endpoint's `+sip.instance` ([MS-PRES] §2.2.2.1 endpointId); '' when it has none or is not registered. */
async function endpointIdOf(d: FedDeps, p: Partition, epid: string): Promise<string> {
  const reg = epid ? await getRecord(d.store, p, registrations, epid) : undefined;
  return reg?.value.instance?.replace(/^"?<?urn:uuid:/i, '').replace(/>?"?$/, '') ?? '';
}

/**
 * A random instance number for a new publication, above the ones the server computes (0, 1 and
 * 0x10000000, §3.8.5.1.2.7) and the ones enhanced clients use for their states (below 0x40000000).
 */
const newInstance = () => String(0x40000000 + (Number.parseInt(randomToken(4), 16) % 0x3fffffff));

/**
 * PUBLISH `Event: presence` with PIDF (RFC 3903): initial (body, no SIP-If-Match), refresh
 * (SIP-If-Match, no body), modify (both) and remove (SIP-If-Match, Expires: 0). Every success
 * answers a new SIP-ETag and the granted Expires; an unknown entity tag is 412.
 */
export async function handlePublish(d: FedDeps, cmd: SipRequestCommand): Promise<SipReply> {
  const event = (header(cmd, 'Event') ?? '').split(';')[0]!.trim().toLowerCase();
  if (event !== 'presence') return reply(489, undefined, [{ name: 'Allow-Events', value: 'presence' }]);
  const to = aorOf(cmd, 'To');
  if (!to) return reply(400, 'Bad To');
  // RFC 3903 §6 step 2: a user publishes their own presence only.
  if (!sameAor(to, cmd.user)) return reply(403, 'Publish Your Own Presence Only');
  const expiresText = header(cmd, 'Expires');
  if (expiresText !== undefined && !/^\d{1,10}$/.test(expiresText.trim())) return reply(400, 'Bad Expires');
  const requested = expiresText === undefined ? PUBLISH_EXPIRES.default : Number(expiresText);
  const ifMatch = header(cmd, 'SIP-If-Match')?.trim();
  const hasBody = cmd.body.trim() !== '';
  if (hasBody && mediaType(cmd) !== PIDF_CONTENT_TYPE.pidf) return reply(415, undefined, [{ name: 'Accept', value: PIDF_CONTENT_TYPE.pidf }]);
  if (!ifMatch && !hasBody) return reply(400, 'Initial PUBLISH Without Body');
  if (!ifMatch && requested === 0) return reply(400, 'Initial PUBLISH With Expires 0');
  if (requested !== 0 && requested < PUBLISH_EXPIRES.min) return reply(423, undefined, [{ name: 'Min-Expires', value: String(PUBLISH_EXPIRES.min) }]);
  const p: Partition = { pool: d.pool, user: cmd.user };
  const prior = ifMatch ? await getRecord(d.store, p, etags, ifMatch) : undefined;
  // RFC 3903 §6 step 4: an entity tag this server does not hold (expired, removed, never given).
  if (ifMatch && !prior) return reply(412);
  const nowMs = d.now?.() ?? Date.now();
  const now = new Date(nowMs);

  if (prior && requested === 0) {
    const r = await commit(d, p, () => ({ records: [], drop: prior.value.ids, etag: [remove(etags, prior.id, { expect: prior.version })] }));
    if (!r.ok) return r.error === 'etag' ? reply(412) : reply(500, 'Concurrent Publish, Retry');
    return reply(200, undefined, [{ name: 'SIP-ETag', value: prior.id }, { name: 'Expires', value: '0' }]);
  }

  const expires = Math.min(requested, PUBLISH_EXPIRES.max);
  const expiresAt = nowMs + expires * 1000;
  const body = hasBody ? cmd.body : prior!.value.body;
  const instance = prior?.value.instance ?? newInstance();
  const epid = prior?.value.epid ?? (await endpointOf(d.store, p, cmd));
  // The endpoint's id as the first publish of this publication found it ('' none): a modify reads no registration.
  const endpointId = prior?.value.endpointId ?? (await endpointIdOf(d, p, epid));
  const etag = randomToken(10);
  const r = await commit(d, p, (current) => {
    const made = instancesOf(body, instance, epid, endpointId || undefined, now, current);
    if ('error' in made) return made;
    const next: EtagRecord = { etag, instance, epid, endpointId, ids: made.records.map((x) => publications.idOf(x)), body };
    return {
      records: made.records,
      drop: prior?.value.ids ?? [],
      expiresAt,
      // The old tag ends with the new one's creation (RFC 3903 §4.1: each success answers a fresh tag).
      etag: [...(prior ? [remove(etags, prior.id, { expect: prior.version })] : []), put(etags, next, { expect: 0, expiresAt })],
    };
  });
  if (!r.ok) {
    if (r.error === 'etag') return reply(412);
    return r.error === RACED ? reply(500, 'Concurrent Publish, Retry') : reply(400, r.error.slice(0, 120));
  }
  return reply(200, undefined, [{ name: 'SIP-ETag', value: etag }, { name: 'Expires', value: String(expires) }]);
}
