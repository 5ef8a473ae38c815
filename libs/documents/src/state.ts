import { ParsedDocCache } from './doc-cache.js';
import { element, esc, parseXml, type XmlNode } from './xml.js';

export const STATE_NS = 'http://schemas.microsoft.com/2006/09/sip/state';
export const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';
export const COMMON_TYPES_NS = 'http://schemas.microsoft.com/2006/09/sip/commontypes';
export const CALENDAR_NS = 'http://schemas.microsoft.com/2006/09/sip/calendarData';
export const EXCHANGE_TYPES_NS = 'http://schemas.microsoft.com/exchange/services/2006/types';
export const SERVICE_NS = 'http://schemas.microsoft.com/2006/09/sip/service';

/** One `activity` of a state ([MS-PRES] §2.2.2.7.1, §7.2). */
export interface Activity {
  readonly token?: string;
  readonly custom: readonly { readonly lcid?: string; readonly text: string }[];
  readonly minAvailability: number;
  /** Infinity when unbounded (the schema default). */
  readonly maxAvailability: number;
}

/** A `state` category payload as aggregation reads it. Blank elements count as absent. */
export interface StateDoc {
  /** `xsi:type`: machineState, userState, calendarState, phoneState, aggregateState, … */
  readonly type: string;
  readonly manual: boolean;
  readonly startTime?: string;
  readonly availability?: number;
  readonly activities: readonly Activity[];
  readonly endpointLocation?: string;
  readonly meetingSubject?: string;
  readonly meetingLocation?: string;
  readonly timeZoneBias?: string;
  readonly timeZoneName?: string;
  readonly timeZoneAbbreviation?: string;
  readonly device?: string;
}

const text = (n: XmlNode | undefined): string | undefined => {
  const t = n?.text.trim();
  return t ? t : undefined;
};

/**
 * Parsed state documents by text: 10,000 distinct texts of at most 4 KiB each (a state payload is
 * well under 1 KiB in practice), so at most ~80 MB of UTF-16 keys in the worst case, far less in use.
 */
export const STATE_DOC_CACHE_ENTRIES = 10_000;
const stateDocs = new ParsedDocCache<StateDoc | undefined>(STATE_DOC_CACHE_ENTRIES, 4 * 1024);

/**
 * Reads a state payload; undefined when it is not a `state` element. Lenient: unknown children are
 * ignored. The result is shared between callers and deep-frozen: treat it as read-only.
 */
export function parseStateDoc(data: string): StateDoc | undefined {
  return stateDocs.getOrParse(data, readStateDoc);
}

/** Entries held by the state-document cache (for tests of its bound). */
export function stateDocCacheSize(): number {
  return stateDocs.size;
}

function readStateDoc(data: string): StateDoc | undefined {
  if (data.trim() === '') return undefined;
  const parsed = parseXml(data);
  if (!parsed.ok || parsed.value.name !== 'state') return undefined;
  const s = parsed.value;
  const child = (name: string) => s.children.find((c) => c.name === name);
  const type = (s.attrs.type ?? '').split(':').pop()!;
  const availability = text(child('availability'));
  const activities: Activity[] = s.children
    .filter((c) => c.name === 'activity')
    .map((a) => ({
      ...(a.attrs.token !== undefined ? { token: a.attrs.token } : {}),
      custom: a.children.filter((c) => c.name === 'custom').map((c) => ({ ...(c.attrs.LCID !== undefined ? { lcid: c.attrs.LCID } : {}), text: c.text })),
      minAvailability: Number(a.attrs.minAvailability ?? 0),
      maxAvailability: a.attrs.maxAvailability === undefined || a.attrs.maxAvailability === 'unbounded' ? Infinity : Number(a.attrs.maxAvailability),
    }));
  const opt = (name: string) => {
    const v = text(child(name));
    return v === undefined ? {} : { [name]: v };
  };
  return {
    type,
    manual: s.attrs.manual === 'true' || s.attrs.manual === '1',
    ...(s.attrs.startTime ? { startTime: s.attrs.startTime } : {}),
    ...(availability !== undefined && /^\d+$/.test(availability) ? { availability: Number(availability) } : {}),
    activities,
    ...opt('endpointLocation'),
    ...opt('meetingSubject'),
    ...opt('meetingLocation'),
    ...opt('timeZoneBias'),
    ...opt('timeZoneName'),
    ...opt('timeZoneAbbreviation'),
    ...opt('device'),
  };
}

function activityXml(a: Activity): string {
  const custom = a.custom.map((c) => element('custom', [['LCID', c.lcid]], esc(c.text))).join('');
  return element('activity', [['token', a.token]], custom);
}

/** What an aggregateState carries ([MS-PRES] §3.8.5.1.2.7); absent fields are left out. */
export interface AggregateStateView
  extends Pick<StateDoc, 'endpointLocation' | 'meetingSubject' | 'meetingLocation' | 'timeZoneBias' | 'timeZoneName' | 'timeZoneAbbreviation' | 'device'> {
  readonly availability: number;
  readonly activity?: Activity;
  /** `YYYY-MM-DDThh:mm:ss`, an attribute of the root. */
  readonly lastActive?: string;
}

/** An aggregateState, its elements in schema order (§7.2); delimiter…end only around tz and device. */
export function buildAggregateState(v: AggregateStateView): string {
  const el = (name: string, value: string | undefined) => (value === undefined ? '' : `<${name}>${esc(value)}</${name}>`);
  const tail = el('timeZoneBias', v.timeZoneBias) + el('timeZoneName', v.timeZoneName) + el('timeZoneAbbreviation', v.timeZoneAbbreviation) + el('device', v.device);
  const inner =
    `<availability>${v.availability}</availability>` +
    (v.activity ? activityXml(v.activity) : '') +
    el('endpointLocation', v.endpointLocation) +
    el('meetingSubject', v.meetingSubject) +
    el('meetingLocation', v.meetingLocation) +
    (tail ? `<delimiter xmlns="${COMMON_TYPES_NS}"/>${tail}<end xmlns="${COMMON_TYPES_NS}"/>` : '');
  return element('state', [['xsi:type', 'aggregateState'], ['lastActive', v.lastActive], ['xmlns:xsi', XSI_NS], ['xmlns', STATE_NS]], inner);
}

/** The aggregateMachineState of container 2 (§3.8.5.1.2.1). */
export function buildAggregateMachineState(endpointId: string | undefined, availability: number, activity?: Activity): string {
  return element('state', [['xsi:type', 'aggregateMachineState'], ['endpointId', endpointId], ['xmlns:xsi', XSI_NS], ['xmlns', STATE_NS]], `<availability>${availability}</availability>${activity ? activityXml(activity) : ''}`);
}

/** dndState (§3.8.5.4): a manual userState with availability 9500 when DND, without it otherwise. */
export function buildDndState(dnd: boolean): string {
  return element('state', [['xsi:type', 'userState'], ['manual', 'true'], ['xmlns:xsi', XSI_NS], ['xmlns', STATE_NS]], dnd ? '<availability>9500</availability>' : '');
}

/** calendarData as workingHours reads it ([MS-PRES] §3.8.5.3): its mailbox and WorkingHours element. */
export function parseCalendarWorkingHours(data: string): { mailboxID?: string; workingHours?: string } | undefined {
  if (data.trim() === '') return {};
  const parsed = parseXml(data, ['WorkingHours']);
  if (!parsed.ok || parsed.value.name !== 'calendarData') return undefined;
  const wh = parsed.value.children.find((c) => c.name === 'WorkingHours');
  return {
    ...(parsed.value.attrs.mailboxID ? { mailboxID: parsed.value.attrs.mailboxID } : {}),
    ...(wh ? { workingHours: element('WorkingHours', [['xmlns', wh.ns ?? EXCHANGE_TYPES_NS]], wh.raw ?? '') } : {}),
  };
}

/** workingHours (§3.8.5.3): a calendarData with the copied WorkingHours. */
export function buildWorkingHours(mailboxID: string | undefined, workingHours: string): string {
  return element('calendarData', [['xmlns', CALENDAR_NS], ['mailboxID', mailboxID]], workingHours);
}

/** One capability of a device (§2.2.2.7.4): its type (element name) and attributes as published. */
export interface DeviceCapability {
  readonly type: string;
  readonly render: boolean;
  readonly capture: boolean;
  readonly publish: boolean;
  readonly version?: number;
}

/** A `device` payload as services aggregation reads it (§3.8.5.2). */
export interface DeviceDoc {
  readonly endpointId?: string;
  readonly capabilities: readonly { readonly uri: string; readonly items: readonly DeviceCapability[] }[];
}

const flag = (v: string | undefined) => v === 'true' || v === '1';

export function parseDeviceDoc(data: string): DeviceDoc | undefined {
  if (data.trim() === '') return undefined;
  const parsed = parseXml(data);
  if (!parsed.ok || parsed.value.name !== 'device') return undefined;
  return {
    ...(parsed.value.attrs.endpointId ? { endpointId: parsed.value.attrs.endpointId } : {}),
    capabilities: parsed.value.children
      .filter((c) => c.name === 'capabilities' && c.attrs.uri)
      .map((c) => ({
        uri: c.attrs.uri!,
        items: c.children.map((i) => ({
          type: i.name,
          render: flag(i.attrs.render),
          capture: flag(i.attrs.capture),
          publish: flag(i.attrs.publish),
          ...(i.attrs.version !== undefined && /^\d+$/.test(i.attrs.version) ? { version: Number(i.attrs.version) } : {}),
        })),
      })),
  };
}

/** One winning capability in a services document (§3.8.5.2.2). */
export interface ServiceCapabilityView {
  readonly type: string;
  readonly render: boolean;
  readonly capture: boolean;
  /** Self view only: publish, version and the preferred endpoint. */
  readonly publish?: boolean;
  readonly version?: number;
  readonly preferredEndpointId?: string;
  readonly deviceAvailability: number;
}

/** `<services xmlns="…/service">` (note: the namespace ends in "service"). */
export function buildServices(services: readonly { readonly uri: string; readonly capabilities: readonly ServiceCapabilityView[] }[]): string {
  const inner = services
    .map((s) =>
      element(
        'service',
        [['uri', s.uri]],
        element(
          'capabilities',
          [],
          s.capabilities
            .map((c) =>
              element(c.type, [
                ['render', c.render],
                ['capture', c.capture],
                ['publish', c.publish],
                ['version', c.version],
                ['preferredEndpointId', c.preferredEndpointId],
                ['deviceAvailability', c.deviceAvailability],
              ]),
            )
            .join(''),
        ),
      ),
    )
    .join('');
  return element('services', [['xmlns', SERVICE_NS]], inner);
}
