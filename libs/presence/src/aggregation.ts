import {
  buildAggregateMachineState,
  buildAggregateState,
  buildDndState,
  buildLegacyInterop,
  buildServices,
  buildWorkingHours,
  parseCalendarWorkingHours,
  parseDeviceDoc,
  parseStateDoc,
  type Activity,
  type AggregateStateView,
  type DeviceCapability,
  type ServiceCapabilityView,
  type StateDoc,
} from '@presence/documents';
import { publications, put, remove, type Change, type ExpireType, type PublicationRecord, type StoredRecord } from '@presence/state';
import type { CategoryKey } from './publish.js';
import { publishTime } from './time.js';

/** A computed instance the server wants to exist. */
export interface Computed {
  readonly container: number;
  readonly name: string;
  readonly instance: string;
  readonly expireType: ExpireType;
  readonly data: string;
}

/** The aggregateMachineState instance (0x10000000, §3.8.5.1.2.7). */
export const AMS_INSTANCE = '268435456';
/** State outputs per input container (§3.8.5.1.2.7). */
const STATE_OUT: Readonly<Record<2 | 3, readonly number[]>> = { 2: [2, 100, 200, 400], 3: [3, 300] };
/** dndState outputs per input container (§3.8.5.4). */
const DND_OUT: Readonly<Record<2 | 3, readonly number[]>> = { 2: [2, 0, 100, 200, 400], 3: [3, 300] };

interface Input {
  readonly rec: StoredRecord<PublicationRecord>;
  readonly doc: StateDoc;
  /** Age for the manual filter and activity ties: startTime if given, else publishTime (ms). */
  readonly time: number;
}

const ms = (iso: string) => {
  const t = Date.parse(/[zZ]|[+-]\d\d:\d\d$/.test(iso) ? iso : `${iso}Z`);
  return Number.isNaN(t) ? 0 : t;
};
const inRange = (v: number, lo: number, hi: number) => v >= lo && v <= hi;

function statesIn(pubs: readonly StoredRecord<PublicationRecord>[], container: number): Input[] {
  return pubs.flatMap((rec) => {
    if (rec.value.categoryName !== 'state' || rec.value.container !== container) return [];
    const doc = parseStateDoc(rec.value.data);
    return doc ? [{ rec, doc, time: ms(doc.startTime ?? rec.value.publishTime) }] : [];
  });
}

/** The aggregated state of one input container ([MS-PRES] §3.8.5.1.2, steps A-F of the digest). */
export interface StateAggregate {
  /** The most active endpoint-bound machineState, if any. */
  readonly machine?: Input;
  readonly amsAvailability: number;
  readonly availability: number;
  readonly activity?: Activity;
  readonly lastActive?: string;
  readonly meetingSubject?: string;
  readonly meetingLocation?: string;
}

export function aggregateStateOf(states: readonly Input[]): StateAggregate {
  // A: the most active endpoint-bound machineState: lowest availability, then latest publish (§3.8.5.1.2.1).
  const machines = states.filter((s) => s.doc.type === 'machineState' && s.rec.value.expireType === 'endpoint' && s.doc.availability !== undefined);
  // The record id breaks the last ties, so the result never depends on the order inputs arrived in.
  const machine = [...machines].sort(
    (a, b) => a.doc.availability! - b.doc.availability! || ms(b.rec.value.publishTime) - ms(a.rec.value.publishTime) || a.rec.id.localeCompare(b.rec.id),
  )[0];
  const amsAvailability = machine?.doc.availability ?? 18500;

  // B: the manual filter drops everything older than a manual state; the AMS always stays (§3.8.5.1.2.2).
  const others = states.filter((s) => !['machineState', 'aggregateMachineState', 'aggregateState'].includes(s.doc.type));
  const newestManual = Math.max(-Infinity, ...others.filter((s) => s.doc.manual).map((s) => s.time));
  const kept = others.filter((s) => s.time >= newestManual);
  let availability = Math.max(amsAvailability, ...kept.flatMap((s) => (s.doc.availability === undefined ? [] : [s.doc.availability])));
  if (inRange(amsAvailability, 4500, 5999) && inRange(availability, 6000, 7499)) availability += 1500;

  // C: activities valid at the aggregated availability; the highest minAvailability, then the newest (§3.8.5.1.2.3).
  const candidates = [
    ...kept.flatMap((s) => s.doc.activities.map((a, i) => ({ a, time: s.time, tie: `${s.rec.id}#${i}` }))),
    ...(machine ? machine.doc.activities.map((a, i) => ({ a, time: machine.time, tie: `${machine.rec.id}#${i}` })) : []),
  ].filter(({ a }) => (a.token !== undefined || a.custom.length > 0) && inRange(availability, a.minAvailability, a.maxAvailability));
  const best = candidates.sort((x, y) => y.a.minAvailability - x.a.minAvailability || y.time - x.time || x.tie.localeCompare(y.tie))[0];
  const activity = best ? { ...(best.a.token !== undefined ? { token: best.a.token } : {}), custom: best.a.custom, minAvailability: 0, maxAvailability: Infinity } : undefined;

  // D: lastActive for an idle or away machine while the user shows idle, busy-idle or away (digest DECISION).
  const showsInactive = inRange(availability, 4500, 5999) || inRange(availability, 7500, 8999) || inRange(availability, 12000, 17999);
  const lastActive = machine && amsAvailability >= 4500 && showsInactive ? machine.rec.value.publishTime.slice(0, 19) : undefined;

  // E: meeting details only from exactly one calendarState that has them (§3.8.5.1.2.5).
  const meetings = states.filter((s) => s.doc.type === 'calendarState' && (s.doc.meetingSubject !== undefined || s.doc.meetingLocation !== undefined));
  const meeting = meetings.length === 1 ? meetings[0]!.doc : undefined;

  return {
    ...(machine ? { machine } : {}),
    amsAvailability,
    availability,
    ...(activity ? { activity } : {}),
    ...(lastActive ? { lastActive } : {}),
    ...(meeting?.meetingSubject ? { meetingSubject: meeting.meetingSubject } : {}),
    ...(meeting?.meetingLocation ? { meetingLocation: meeting.meetingLocation } : {}),
  };
}

/** The elements each output container gets (§3.8.5.1.2.7 table). */
function viewFor(container: number, agg: StateAggregate): AggregateStateView {
  // F: endpoint location, time zone and device from the most active machine, below Away (§3.8.5.1.2.6).
  const m = agg.availability < 12000 ? agg.machine?.doc : undefined;
  const full: AggregateStateView = {
    availability: agg.availability,
    ...(agg.activity ? { activity: agg.activity } : {}),
    ...(m?.endpointLocation ? { endpointLocation: m.endpointLocation } : {}),
    ...(agg.meetingSubject ? { meetingSubject: agg.meetingSubject } : {}),
    ...(agg.meetingLocation ? { meetingLocation: agg.meetingLocation } : {}),
    ...(m?.timeZoneBias ? { timeZoneBias: m.timeZoneBias } : {}),
    ...(m?.timeZoneName ? { timeZoneName: m.timeZoneName } : {}),
    ...(m?.timeZoneAbbreviation ? { timeZoneAbbreviation: m.timeZoneAbbreviation } : {}),
    ...(m?.device ? { device: m.device } : {}),
    ...(agg.lastActive ? { lastActive: agg.lastActive } : {}),
  };
  const pick = (keys: (keyof AggregateStateView)[]): AggregateStateView =>
    Object.fromEntries(Object.entries(full).filter(([k]) => k === 'availability' || keys.includes(k as keyof AggregateStateView))) as unknown as AggregateStateView;
  switch (container) {
    case 100:
      return pick([]);
    case 200:
      return pick(['activity', 'lastActive', 'device']);
    case 400:
      return pick(['activity', 'endpointLocation', 'lastActive', 'timeZoneBias', 'timeZoneName', 'timeZoneAbbreviation', 'device']);
    default:
      return full; // 2, 3, 300
  }
}

/** State aggregation of input container 2 or 3: aggregateStates, legacyInterops and (2) the AMS. */
export function computeState(pubs: readonly StoredRecord<PublicationRecord>[], input: 2 | 3): Computed[] {
  const agg = aggregateStateOf(statesIn(pubs, input));
  // §3.8.5.1.2.7: instance 1, user-bound while machineStates exist; else instance 0, static.
  const [instance, expireType]: [string, ExpireType] = agg.machine ? ['1', 'user'] : ['0', 'static'];
  const out: Computed[] = [];
  for (const container of STATE_OUT[input]) {
    const view = viewFor(container, agg);
    out.push({ container, name: 'state', instance, expireType, data: buildAggregateState(view) });
    if (container >= 100) {
      // The token only where the same container's aggregateState carries one (digest DECISION, §1.5).
      out.push({ container, name: 'legacyInterop', instance, expireType, data: buildLegacyInterop(agg.availability, view.activity?.token) });
    }
  }
  if (input === 2 && agg.machine) {
    const endpointId = agg.machine.rec.value.endpointId?.toLowerCase();
    const machineActivity = agg.machine.doc.activities.find((a) => a.token !== undefined || a.custom.length > 0);
    out.push({
      container: 2,
      name: 'state',
      instance: AMS_INSTANCE,
      expireType: 'user',
      data: buildAggregateMachineState(endpointId, agg.amsAvailability, machineActivity ? { ...machineActivity, minAvailability: 0, maxAvailability: Infinity } : undefined),
    });
  }
  return out;
}

/** dndState of input container 2 or 3 (§3.8.5.4): DND when a userState or presentingState is 9000-11999. */
export function computeDnd(pubs: readonly StoredRecord<PublicationRecord>[], input: 2 | 3): Computed[] {
  const dnd = statesIn(pubs, input).some((s) => (s.doc.type === 'userState' || s.doc.type === 'presentingState') && s.doc.availability !== undefined && inRange(s.doc.availability, 9000, 11999));
  return DND_OUT[input].map((container) => ({ container, name: 'dndState', instance: '0', expireType: 'static', data: buildDndState(dnd) }));
}

/** workingHours (§3.8.5.3): WorkingHours of calendarData instance 0 in container 1, into container 1. */
export function computeWorkingHours(pubs: readonly StoredRecord<PublicationRecord>[]): Computed[] {
  const cal = pubs.find((r) => r.value.categoryName === 'calendarData' && r.value.container === 1 && r.value.instance === '0');
  const parsed = cal ? parseCalendarWorkingHours(cal.value.data) : undefined;
  if (!parsed?.workingHours) return [];
  return [{ container: 1, name: 'workingHours', instance: '0', expireType: 'static', data: buildWorkingHours(parsed.mailboxID, parsed.workingHours) }];
}

/** Containers that get the services instance (§3.8.5.2.2): 2 the self view, the others the subscriber view. */
const SERVICES_OUT: readonly number[] = [2, 100, 200, 300, 400];

/**
 * Services aggregation (§3.8.5.2): per URI and capability type, the winning capability over all
 * devices in container 2, judged with the machineState of each device's endpoint.
 */
export function computeServices(pubs: readonly StoredRecord<PublicationRecord>[]): Computed[] {
  const machines = new Map<string, { availability: number; time: number }>();
  for (const s of statesIn(pubs, 2)) {
    if (s.doc.type !== 'machineState' || s.doc.availability === undefined || !s.rec.value.endpointId) continue;
    machines.set(s.rec.value.endpointId.toLowerCase(), { availability: s.doc.availability, time: ms(s.rec.value.publishTime) });
  }
  const devices = pubs
    .filter((r) => r.value.categoryName === 'device' && r.value.container === 2)
    .sort((a, b) => ms(a.value.publishTime) - ms(b.value.publishTime) || a.id.localeCompare(b.id))
    .flatMap((r) => {
      const doc = parseDeviceDoc(r.value.data);
      return doc ? [{ doc, endpointId: (doc.endpointId ?? r.value.endpointId ?? '').toLowerCase() }] : [];
    });
  // An endpoint without a machineState counts as offline and as old as can be (digest GAP).
  const machineOf = (endpointId: string) => machines.get(endpointId) ?? { availability: 18500, time: -Infinity };
  const moreActive = (a: string, b: string) => {
    const x = machineOf(a);
    const y = machineOf(b);
    return x.availability < y.availability || (x.availability === y.availability && x.time > y.time);
  };
  const uris: string[] = [];
  const winners = new Map<string, Map<string, { cap: DeviceCapability; endpointId: string }>>();
  for (const d of devices) {
    for (const c of d.doc.capabilities) {
      if (!winners.has(c.uri)) {
        uris.push(c.uri);
        winners.set(c.uri, new Map());
      }
      const byType = winners.get(c.uri)!;
      for (const cap of c.items) {
        const w = byType.get(cap.type);
        const wins =
          !w ||
          (cap.publish && ((cap.version ?? 0) > (w.cap.version ?? 0) || ((cap.version ?? 0) === (w.cap.version ?? 0) && moreActive(d.endpointId, w.endpointId)))) ||
          (!cap.publish && ((!w.cap.render && !w.cap.capture) || moreActive(d.endpointId, w.endpointId)));
        if (wins) byType.set(cap.type, { cap, endpointId: d.endpointId });
      }
    }
  }
  if (uris.length === 0) return [];
  const self = uris.map((uri) => ({
    uri,
    capabilities: [...winners.get(uri)!.values()].map(
      ({ cap, endpointId }): ServiceCapabilityView => ({
        type: cap.type,
        render: cap.render,
        capture: cap.capture,
        publish: cap.publish,
        ...(cap.version !== undefined ? { version: cap.version } : {}),
        preferredEndpointId: endpointId,
        deviceAvailability: machineOf(endpointId).availability,
      }),
    ),
  }));
  const others = self
    .map((s) => ({ uri: s.uri, capabilities: s.capabilities.filter((c) => !c.publish).map((c) => ({ type: c.type, render: c.render, capture: c.capture, deviceAvailability: c.deviceAvailability })) }))
    .filter((s) => s.capabilities.length > 0);
  return SERVICES_OUT.flatMap((container) => {
    const list = container === 2 ? self : others;
    return list.length === 0 ? [] : [{ container, name: 'services', instance: '0', expireType: 'user' as const, data: buildServices(list) }];
  });
}

/** A computation: the instances it owns (writes, and deletes when it no longer wants them) and how it computes them. */
interface Computation {
  readonly keys: readonly { container: number; name: string; instance: string }[];
  compute(pubs: readonly StoredRecord<PublicationRecord>[]): Computed[];
}

const stateKeys = (input: 2 | 3) => [
  ...STATE_OUT[input].flatMap((c) => ['0', '1'].map((instance) => ({ container: c, name: 'state', instance }))),
  ...STATE_OUT[input].filter((c) => c >= 100).flatMap((c) => ['0', '1'].map((instance) => ({ container: c, name: 'legacyInterop', instance }))),
  ...(input === 2 ? [{ container: 2, name: 'state', instance: AMS_INSTANCE }] : []),
];

const COMPUTATIONS: Readonly<Record<string, Computation>> = {
  state2: { keys: stateKeys(2), compute: (p) => computeState(p, 2) },
  state3: { keys: stateKeys(3), compute: (p) => computeState(p, 3) },
  dnd2: { keys: DND_OUT[2].map((c) => ({ container: c, name: 'dndState', instance: '0' })), compute: (p) => computeDnd(p, 2) },
  dnd3: { keys: DND_OUT[3].map((c) => ({ container: c, name: 'dndState', instance: '0' })), compute: (p) => computeDnd(p, 3) },
  workingHours: { keys: [{ container: 1, name: 'workingHours', instance: '0' }], compute: computeWorkingHours },
  services: { keys: SERVICES_OUT.map((c) => ({ container: c, name: 'services', instance: '0' })), compute: computeServices },
};

/** Which computations a change of these (container, category) pairs triggers (§3.2.5.6, §3.8). */
export function triggeredBy(touched: readonly CategoryKey[]): string[] {
  const out = new Set<string>();
  for (const k of touched) {
    if (k.name === 'state' && (k.container === 2 || k.container === 3)) {
      out.add(`state${k.container}`);
      out.add(`dnd${k.container}`);
    }
    if ((k.name === 'state' || k.name === 'device') && k.container === 2) out.add('services');
    if (k.name === 'calendarData' && k.container === 1) out.add('workingHours');
  }
  return [...out];
}

const idOf = (k: { container: number; name: string; instance: string }) => `${k.container}:${k.name}:${k.instance}`;

/**
 * The store changes that bring the computed instances in line with `after` (the user's
 * publications with the triggering change applied): creates, updates (only when the data or
 * lifetime differ: unchanged outputs keep their version and publishTime) and deletes (an output no
 * longer wanted, e.g. instance 0 after instance 1 took over). Records in `skip` are left alone (the
 * client's own change to them wins).
 */
export function planAggregation(after: readonly StoredRecord<PublicationRecord>[], touched: readonly CategoryKey[], now: Date, skip: ReadonlySet<string> = new Set()): { changes: Change[]; touched: CategoryKey[] } {
  const byId = new Map(after.map((r) => [r.id, r]));
  const changes: Change[] = [];
  const keys = new Map<string, CategoryKey>();
  // Computations run in order, each seeing the outputs of those before (none depends on another today).
  for (const name of triggeredBy(touched)) {
    const c = COMPUTATIONS[name]!;
    const desired = new Map(c.compute(after).map((d) => [idOf(d), d]));
    for (const k of c.keys) {
      const id = idOf(k);
      if (skip.has(id)) continue;
      const cur = byId.get(id);
      const want = desired.get(id);
      if (want && (!cur || cur.value.data !== want.data || cur.value.expireType !== want.expireType)) {
        const rec: PublicationRecord = { categoryName: want.name, instance: want.instance, container: want.container, expireType: want.expireType, publishTime: publishTime(now, cur?.value.publishTime), data: want.data };
        changes.push(put(publications, rec, { expect: cur?.version ?? 0 }));
        keys.set(`${k.container}:${k.name}`, { container: k.container, name: k.name });
      } else if (!want && cur) {
        changes.push(remove(publications, id, { expect: cur.version }));
        keys.set(`${k.container}:${k.name}`, { container: k.container, name: k.name });
      }
    }
  }
  return { changes, touched: [...keys.values()] };
}

/** The user's publications after `changes` (as `apply` would leave them), for planning what follows from them. */
export function applyVirtually(current: readonly StoredRecord<PublicationRecord>[], changes: readonly Change[]): StoredRecord<PublicationRecord>[] {
  const m = new Map(current.map((r) => [r.id, r]));
  for (const c of changes) {
    if (c.collection !== publications.name) continue;
    if (c.op === 'delete') m.delete(c.id);
    else m.set(c.id, { id: c.id, version: (m.get(c.id)?.version ?? 0) + 1, value: c.value as PublicationRecord });
  }
  return [...m.values()];
}

/**
 * Adds to a change of the user's publications the computed instances it triggers ([MS-PRES] §3.8),
 * so that both commit in one atomic apply: the publish 200 can carry the computed instances (§4.3.x)
 * and a failed batch leaves no computed change behind. `current` must be what the change was
 * planned on (see `publicationsGeneration` for what keeps two such changes from crossing).
 */
export function withAggregation(
  current: readonly StoredRecord<PublicationRecord>[],
  changes: readonly Change[],
  touched: readonly CategoryKey[],
  now: Date,
): { changes: Change[]; touched: CategoryKey[]; clientChanges: number } {
  const agg = planAggregation(applyVirtually(current, changes), touched, now, new Set(changes.map((c) => c.id)));
  const keys = new Map([...touched, ...agg.touched].map((k) => [`${k.container}:${k.name}`, k]));
  return { changes: [...changes, ...agg.changes], touched: [...keys.values()], clientChanges: changes.length };
}
