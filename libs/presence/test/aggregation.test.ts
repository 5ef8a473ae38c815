import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import type { PublicationRecord, StoredRecord } from '@presence/state';
import { applyVirtually, computeDnd, computeServices, computeState, computeWorkingHours, planAggregation, type Computed } from '../src/index.js';

const NS = 'xmlns="http://schemas.microsoft.com/2006/09/sip/state" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';
const CT = 'xmlns="http://schemas.microsoft.com/2006/09/sip/commontypes"';
let seq = 0;
function state(container: number, instance: number, expireType: PublicationRecord['expireType'], publishTime: string, body: string, endpointId?: string): StoredRecord<PublicationRecord> {
  return {
    id: `${container}:state:${instance}:${seq++}`,
    version: 1,
    value: { categoryName: 'state', instance: String(instance), container, expireType, publishTime, data: body, ...(endpointId ? { endpointId } : {}) },
  };
}
const machine = (c: number, inst: number, pub: string, avail: number, extra = '', endpointId = '221EF77E-3A68-5570-86ED-6EA5BD4B7FF8') =>
  state(c, inst, 'endpoint', pub, `<state ${NS} manual="false" xsi:type="machineState"><availability>${avail}</availability>${extra}</state>`, endpointId);
const user = (c: number, inst: number, pub: string, avail: number, activity = '', extra = '') =>
  state(c, inst, 'static', pub, `<state ${NS} manual="true" xsi:type="userState"><availability>${avail}</availability>${activity}${extra}</state>`);
const TZ_DEVICE = `<endpointLocation>Home_Custom_EndPoint_Location</endpointLocation><delimiter ${CT}/><timeZoneBias>999</timeZoneBias><timeZoneName>Pacific Daylight Time</timeZoneName><timeZoneAbbreviation>PDT</timeZoneAbbreviation><device>computer</device><end ${CT}/>`;
const out = (list: Computed[], container: number, name = 'state', instance?: string) => list.find((c) => c.container === container && c.name === name && (instance === undefined || c.instance === instance));
const agg = (inner: string, lastActive?: string) =>
  `<state xsi:type="aggregateState"${lastActive ? ` lastActive="${lastActive}"` : ''} xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.microsoft.com/2006/09/sip/state">${inner}</state>`;
const TAIL = (location = true, tz = true) =>
  `${location ? '<endpointLocation>Home_Custom_EndPoint_Location</endpointLocation>' : ''}<delimiter ${CT}/>${tz ? '<timeZoneBias>999</timeZoneBias><timeZoneName>Pacific Daylight Time</timeZoneName><timeZoneAbbreviation>PDT</timeZoneAbbreviation>' : ''}<device>computer</device><end ${CT}/>`;

describe('[MS-PRES] §4.3.1 (digest V1): manual DND in container 2, urgent-interruptions-only in container 3', () => {
  const inputs = [
    machine(2, 809938687, '2008-01-11T17:25:19.233', 3500, TZ_DEVICE),
    machine(3, 809938687, '2008-01-11T17:25:19.233', 3500, TZ_DEVICE),
    user(3, 536870912, '2008-01-11T17:28:24.217', 6900, '<activity token="urgent-interruptions-only" minAvailability="6900" maxAvailability="8999"/>', '<endpointLocation> </endpointLocation>'),
    user(2, 536870912, '2008-01-11T17:28:24.217', 9500, '<activity minAvailability="9500" maxAvailability="11999"><custom LCID="1033">Interviewing</custom></activity>', '<endpointLocation> </endpointLocation>'),
  ];
  const c2 = computeState(inputs, 2);
  const c3 = computeState(inputs, 3);
  const CUSTOM = '<activity><custom LCID="1033">Interviewing</custom></activity>';
  const URGENT = '<activity token="urgent-interruptions-only"/>';

  it.each([
    [2, agg(`<availability>9500</availability>${CUSTOM}${TAIL()}`)],
    [100, agg('<availability>9500</availability>')],
    [200, agg(`<availability>9500</availability>${CUSTOM}${TAIL(false, false)}`)],
    [400, agg(`<availability>9500</availability>${CUSTOM}${TAIL()}`)],
  ])('container %i gets exactly its elements, instance 1, user-bound', (container, xml) => {
    expect(out(c2, container)).toEqual({ container, name: 'state', instance: '1', expireType: 'user', data: xml });
  });

  it('containers 3 and 300 get the full state with the token activity', () => {
    const xml = agg(`<availability>6900</availability>${URGENT}${TAIL()}`);
    expect(out(c3, 3)?.data).toBe(xml);
    expect(out(c3, 300)?.data).toBe(xml);
  });

  it('legacyInterop carries the availability, and the token only where the container shows one', () => {
    expect(out(c2, 100, 'legacyInterop')?.data).toBe('<legacyInterop xmlns="http://schemas.microsoft.com/2006/09/sip/categories" availability="9500"/>');
    expect(out(c2, 200, 'legacyInterop')?.data).toBe('<legacyInterop xmlns="http://schemas.microsoft.com/2006/09/sip/categories" availability="9500"/>');
    expect(out(c3, 300, 'legacyInterop')?.data).toBe('<legacyInterop xmlns="http://schemas.microsoft.com/2006/09/sip/categories" availability="6900" token="urgent-interruptions-only"/>');
  });

  it('publishes the aggregateMachineState in container 2 with the endpointId in lower case', () => {
    expect(out(c2, 2, 'state', '268435456')?.data).toBe(
      '<state xsi:type="aggregateMachineState" endpointId="221ef77e-3a68-5570-86ed-6ea5bd4b7ff8" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.microsoft.com/2006/09/sip/state"><availability>3500</availability></state>',
    );
    expect(out(c3, 3, 'state', '268435456')).toBeUndefined();
  });
});

describe('[MS-PRES] §4.3.1.1 (digest V2): calendar meeting and an idle machine', () => {
  const idle = (c: number) =>
    machine(c, 809938687, '2008-01-11T19:06:03.920', 5000, `<endpointLocation>Work_Custom_Endpoint_Location</endpointLocation><delimiter ${CT}/><timeZoneBias>999</timeZoneBias><timeZoneName>Pacific Daylight Time</timeZoneName><timeZoneAbbreviation>PDT</timeZoneAbbreviation><device>computer</device><end ${CT}/>`);
  const calendar = (c: number) =>
    state(
      c,
      1339299275,
      'endpoint',
      '2008-01-11T19:06:28.937',
      `<state ${NS} xsi:type="calendarState" uri="john@contoso.com" startTime="2008-01-11T19:00:00Z"><availability>6500</availability><activity token="in-a-meeting" minAvailability="6500" maxAvailability="8999"/><meetingSubject>Customer Meeting</meetingSubject><meetingLocation>Conf Room 100</meetingLocation></state>`,
    );
  const inputs = [
    state(2, 603979776, 'time', '2008-01-11T18:26:06.450', `<state ${NS} manual="true" xsi:type="userState"><availability>9000</availability></state>`),
    idle(2),
    calendar(2),
    state(3, 603979776, 'time', '2008-01-11T18:26:06.450', `<state ${NS} manual="true" xsi:type="userState"><availability>6900</availability><activity token="urgent-interruptions-only" minAvailability="6900" maxAvailability="8999"/></state>`),
    idle(3),
    calendar(3),
  ];
  const MEET = '<meetingSubject>Customer Meeting</meetingSubject><meetingLocation>Conf Room 100</meetingLocation>';
  const WORK_TAIL = `<delimiter ${CT}/><timeZoneBias>999</timeZoneBias><timeZoneName>Pacific Daylight Time</timeZoneName><timeZoneAbbreviation>PDT</timeZoneAbbreviation><device>computer</device><end ${CT}/>`;

  it('container 2: 9000 (DND: no +1500), no activity valid at 9000, meeting copied, no lastActive', () => {
    expect(out(computeState(inputs, 2), 2)?.data).toBe(agg(`<availability>9000</availability><endpointLocation>Work_Custom_Endpoint_Location</endpointLocation>${MEET}${WORK_TAIL}`));
  });

  it('container 3: 6900 busy with an idle machine becomes 8400, with lastActive and the highest-minimum activity', () => {
    const xml = agg(`<availability>8400</availability><activity token="urgent-interruptions-only"/><endpointLocation>Work_Custom_Endpoint_Location</endpointLocation>${MEET}${WORK_TAIL}`, '2008-01-11T19:06:03');
    expect(out(computeState(inputs, 3), 3)?.data).toBe(xml);
    expect(out(computeState(inputs, 3), 300)?.data).toBe(xml);
  });
});

describe('[MS-PRES] §4.3.2 (digest V3/V3b): a second endpoint signs in', () => {
  const prior = [
    user(2, 536870912, '2008-01-24T19:01:35.903', 6500),
    machine(2, 967115030, '2008-01-24T19:44:20.873', 5000, '', '6F2B83F8-01A1-5BFC-A93A-FC855C8E0754'),
  ];
  it('V3b: busy with only an idle machine shows busy-idle 8000 with lastActive', () => {
    expect(out(computeState(prior, 2), 2)?.data).toBe(agg('<availability>8000</availability>', '2008-01-24T19:44:20'));
  });
  it('V3: the new active machine (3500) makes it plain busy 6500 and becomes the AMS', () => {
    const after = [...prior, machine(2, 1042220217, '2008-01-24T19:45:38.950', 3500, '<endpointLocation></endpointLocation>', 'BD2807C7-8590-530E-B54C-93C749F2E470')];
    const c2 = computeState(after, 2);
    for (const c of [2, 100, 200, 400]) expect(out(c2, c)?.data).toBe(agg('<availability>6500</availability>'));
    expect(out(c2, 2, 'state', '268435456')?.data).toContain('endpointId="bd2807c7-8590-530e-b54c-93c749f2e470"');
  });
});

describe('[MS-PRES] §4.3.3 (digest V5): workingHours', () => {
  const WH = '<WorkingHours xmlns="http://schemas.microsoft.com/exchange/services/2006/types"><TimeZone><Bias>480</Bias></TimeZone><WorkingPeriodArray><WorkingPeriod><DayOfWeek>Monday Tuesday Wednesday Thursday Friday</DayOfWeek><StartTimeInMinutes>540</StartTimeInMinutes><EndTimeInMinutes>1020</EndTimeInMinutes></WorkingPeriod></WorkingPeriodArray></WorkingHours>';
  const cal = (container: number, data: string, instance = '0'): StoredRecord<PublicationRecord> => ({
    id: `${container}:calendarData:${instance}`,
    version: 1,
    value: { categoryName: 'calendarData', instance, container, expireType: 'static', publishTime: '2010-02-15T12:31:02.813', data },
  });
  it('copies WorkingHours of calendarData instance 0 in container 1 into workingHours, only from there', () => {
    const pubs = [
      cal(1, `<calendarData xmlns="http://schemas.microsoft.com/2006/09/sip/calendarData" mailboxID="bob@contoso.com">${WH}</calendarData>`),
      cal(200, `<calendarData xmlns="http://schemas.microsoft.com/2006/09/sip/calendarData" mailboxID="bob@contoso.com">${WH}</calendarData>`),
      cal(100, '<calendarData xmlns="http://schemas.microsoft.com/2006/09/sip/calendarData"/>'),
    ];
    expect(computeWorkingHours(pubs)).toEqual([
      { container: 1, name: 'workingHours', instance: '0', expireType: 'static', data: `<calendarData xmlns="http://schemas.microsoft.com/2006/09/sip/calendarData" mailboxID="bob@contoso.com">${WH}</calendarData>` },
    ]);
    expect(computeWorkingHours(pubs.slice(1))).toEqual([]);
  });
});

describe('[MS-PRES] §4.3.4 (digest V6): dndState', () => {
  it('container 2 with a 9000 userState is DND in 0, 2, 100, 200, 400; container 3 at 6900 is not', () => {
    const pubs = [user(2, 603979776, '2010-02-13T09:01:58.740', 9000), user(3, 603979776, '2010-02-13T09:01:58.740', 6900)];
    const d2 = computeDnd(pubs, 2);
    expect(d2.map((d) => d.container)).toEqual([2, 0, 100, 200, 400]);
    expect(d2[0]!.data).toBe('<state xsi:type="userState" manual="true" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.microsoft.com/2006/09/sip/state"><availability>9500</availability></state>');
    expect(computeDnd(pubs, 3)[0]!.data).not.toContain('availability');
  });
});

describe('planning computed publications', () => {
  it('publishes changed outputs, leaves unchanged ones alone, and switches instance 1 to 0 when the last machine goes', () => {
    const now = new Date('2026-11-22T10:00:00Z');
    const m = machine(2, 1, '2026-11-22T09:00:00.000', 3500);
    const first = planAggregation([m], [{ container: 2, name: 'state' }], now);
    const stored = applyVirtually([m], first.changes);
    expect(planAggregation(stored, [{ container: 2, name: 'state' }], now).changes).toEqual([]);
    const gone = stored.filter((r) => r.id !== m.id);
    const after = planAggregation(gone, [{ container: 2, name: 'state' }], now);
    const ids = (op: string) => after.changes.filter((c) => c.op === op && c.id.includes(':state:')).map((c) => c.id).sort();
    expect(ids('delete')).toEqual(['100:state:1', '2:state:1', '200:state:1', '2:state:268435456', '400:state:1'].sort());
    expect(ids('put')).toEqual(['100:state:0', '2:state:0', '200:state:0', '400:state:0'].sort());
    const offline = applyVirtually(gone, after.changes).find((r) => r.id === '200:state:0');
    expect(offline?.value.data).toContain('<availability>18500</availability>');
  });
});

describe('properties of state aggregation', () => {
  const avail = fc.integer({ min: 3000, max: 19000 });
  const input = fc.record({ kind: fc.constantFrom('machine', 'user', 'calendar'), availability: avail, minute: fc.integer({ min: 0, max: 59 }), manual: fc.boolean() });

  test.prop([fc.array(input, { minLength: 1, maxLength: 8 })])('the availability is the maximum the rules allow, and the order of the inputs does not matter', (list) => {
    const recs = list.map((x, i) => {
      const pub = `2026-11-22T10:${String(x.minute).padStart(2, '0')}:00.000`;
      if (x.kind === 'machine') return machine(2, 3000 + i, pub, x.availability, '', `EP-${i}`);
      const type = x.kind === 'user' ? 'userState' : 'calendarState';
      return state(2, 4000 + i, 'static', pub, `<state ${NS} manual="${x.manual}" xsi:type="${type}"><availability>${x.availability}</availability></state>`);
    });
    const result = computeState(recs, 2);
    const reversed = computeState([...recs].reverse(), 2);
    expect(reversed).toEqual(result);
    const got = Number(/<availability>(\d+)<\/availability>/.exec(out(result, 2)!.data)![1]);
    // Never below the most active machine (or 18500 without one), never above every input and the AMS + 1500.
    const machines = list.filter((x) => x.kind === 'machine').map((x) => x.availability);
    const ams = machines.length ? Math.min(...machines) : 18500;
    expect(got).toBeGreaterThanOrEqual(ams);
    expect(got).toBeLessThanOrEqual(Math.max(ams, ...list.filter((x) => x.kind !== 'machine').map((x) => x.availability)) + 1500);
  });
});

describe('services aggregation ([MS-PRES] §3.8.5.2)', () => {
  const device = (inst: number, pub: string, endpointId: string, caps: string): StoredRecord<PublicationRecord> => ({
    id: `2:device:${inst}`,
    version: 1,
    value: { categoryName: 'device', instance: String(inst), container: 2, expireType: 'endpoint', publishTime: pub, endpointId, data: `<device xmlns="http://schemas.microsoft.com/2006/09/sip/device" endpointId="${endpointId}">${caps}<machineName>M</machineName></device>` },
  });
  const SIP_CAPS = (uri: string) =>
    `<capabilities preferred="false" uri="${uri}"><text capture="true" render="true" publish="false"></text><gifInk capture="false" render="true" publish="false"></gifInk><isfInk capture="false" render="true" publish="false"></isfInk></capabilities>`;
  const SVC = 'xmlns="http://schemas.microsoft.com/2006/09/sip/service"';

  it('V4 (§4.3.2.1): per URI and type, the capability of the most active endpoint; subscribers see only render/capture ones', () => {
    const pubs = [
      device(2210988456, '2008-01-22T22:14:36.780', 'A8F9A3A8-EE61-56D7-B306-C67B08FB28D8', SIP_CAPS('sip:bob@contoso.com') + '<capabilities preferred="false" uri="tel:+11234567890;ext=67890"><remoteCallControl capture="false" render="false" publish="true"></remoteCallControl></capabilities>'),
      machine(2, 943493146, '2008-01-22T22:14:36.233', 3500, '', 'A8F9A3A8-EE61-56D7-B306-C67B08FB28D8'),
      device(1827441964, '2008-01-22T22:20:22.313', '2CD4F7CA-B1D1-5EDA-8D79-79EE4298414D', SIP_CAPS('sip:bob@contoso.com') + '<capabilities preferred="false" uri="bob@exchange.contoso.com"><calendar capture="false" render="false" publish="true" version="655616"></calendar></capabilities>'),
      machine(2, 919521490, '2008-01-22T22:20:22.313', 3500, '', '2CD4F7CA-B1D1-5EDA-8D79-79EE4298414D'),
    ];
    const result = computeServices(pubs);
    const c2 = '2cd4f7ca-b1d1-5eda-8d79-79ee4298414d';
    const a8 = 'a8f9a3a8-ee61-56d7-b306-c67b08fb28d8';
    expect(out(result, 2, 'services')).toEqual({
      container: 2,
      name: 'services',
      instance: '0',
      expireType: 'user',
      data:
        `<services ${SVC}><service uri="sip:bob@contoso.com"><capabilities>` +
        `<text render="true" capture="true" publish="false" preferredEndpointId="${c2}" deviceAvailability="3500"/>` +
        `<gifInk render="true" capture="false" publish="false" preferredEndpointId="${c2}" deviceAvailability="3500"/>` +
        `<isfInk render="true" capture="false" publish="false" preferredEndpointId="${c2}" deviceAvailability="3500"/>` +
        `</capabilities></service><service uri="tel:+11234567890;ext=67890"><capabilities><remoteCallControl render="false" capture="false" publish="true" preferredEndpointId="${a8}" deviceAvailability="3500"/></capabilities></service>` +
        `<service uri="bob@exchange.contoso.com"><capabilities><calendar render="false" capture="false" publish="true" version="655616" preferredEndpointId="${c2}" deviceAvailability="3500"/></capabilities></service></services>`,
    });
    expect(out(result, 100, 'services')?.data).toBe(
      `<services ${SVC}><service uri="sip:bob@contoso.com"><capabilities><text render="true" capture="true" deviceAvailability="3500"/><gifInk render="true" capture="false" deviceAvailability="3500"/><isfInk render="true" capture="false" deviceAvailability="3500"/></capabilities></service></services>`,
    );
  });

  it('V3 (§4.3.2): a publish-only capability goes to the more active endpoint at equal versions', () => {
    const caps = (extra: string) => `<capabilities uri="sip:alice@contoso.com"><text capture="true" render="true" publish="false"/><breakthrough render="false" capture="false" publish="true"/>${extra}</capabilities>`;
    const pubs = [
      device(1, '2008-01-24T19:15:43.999', '6F2B83F8-01A1-5BFC-A93A-FC855C8E0754', caps('')),
      machine(2, 967115030, '2008-01-24T19:44:20.873', 5000, '', '6F2B83F8-01A1-5BFC-A93A-FC855C8E0754'),
      device(2, '2008-01-24T19:45:38.950', 'BD2807C7-8590-530E-B54C-93C749F2E470', caps('')),
      machine(2, 1042220217, '2008-01-24T19:45:38.950', 3500, '', 'BD2807C7-8590-530E-B54C-93C749F2E470'),
    ];
    const self = out(computeServices(pubs), 2, 'services')!.data;
    expect(self).toContain('<breakthrough render="false" capture="false" publish="true" preferredEndpointId="bd2807c7-8590-530e-b54c-93c749f2e470" deviceAvailability="3500"/>');
    expect(self).toContain('<text render="true" capture="true" publish="false" preferredEndpointId="bd2807c7-8590-530e-b54c-93c749f2e470" deviceAvailability="3500"/>');
    expect(out(computeServices(pubs), 300, 'services')!.data).not.toContain('breakthrough');
  });
});
