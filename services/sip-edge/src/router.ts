import type { SipServiceName } from '@presence/bus';
import { ownerOfTag } from '@presence/presence';
import { getHeader, getHeaders, param, parseNameAddr, type SipRequest } from '@presence/sip';

/** Event packages served, each with the service that owns its subscriptions. */
const EVENT_PACKAGES: Readonly<Record<string, SipServiceName>> = {
  presence: 'subscription',
  'vnd-microsoft-roaming-self': 'subscription', // [MS-PRES] §3.3
  'vnd-microsoft-roaming-contacts': 'subscription', // [MS-SIP] contact list
  'vnd-microsoft-provisioning-v2': 'subscription',
  'presence.winfo': 'federation', // RFC 3857: who watches the user, from the subscriber list
};

/** `Allow-Events` as [MS-PRES] clients expect it: comma separated, no spaces. */
export const ALLOW_EVENTS = Object.keys(EVENT_PACKAGES).join(',');

/** SERVICE bodies and the service that owns each ([MS-PRES] §2.2.2.2.1, 2.2.2.5, 2.2.2.6, 2.2.2.10). */
const SERVICE_TYPES: Readonly<Record<string, SipServiceName>> = {
  'application/msrtc-category-publish+xml': 'publication',
  'application/msrtc-setcontainermembers+xml': 'publication',
  'application/msrtc-presence-setsubscriber+xml': 'publication',
  // The spec writes it with varying case (and once with a stray space): media types are case-insensitive.
  'application/msrtc-setdelegate+xml': 'publication',
  // [MS-SIP] §3.7.4.3: contact list changes, owned with the roaming-contacts dialogs they notify.
  'application/soap+xml': 'subscription',
};

export const ACCEPTED_SERVICE_TYPES = Object.keys(SERVICE_TYPES);

/** Where a request goes: a service over the bus, or straight back with an error. */
export type Route = { readonly service: SipServiceName } | { readonly status: number; readonly reason?: string; readonly allowEvents?: boolean };

function mediaType(v: string | undefined): string {
  return (v ?? '').split(';')[0]!.replace(/\s+/g, '').toLowerCase();
}

/** The To tag of a request within a dialog. */
function toTag(req: SipRequest): string | undefined {
  const to = parseNameAddr(getHeader(req, 'To') ?? '');
  return to.ok ? param(to.value.params, 'tag') : undefined;
}

/**
 * Routes a SUBSCRIBE within a dialog to the service that owns the dialog, named by the To tag it
 * chose (RFC 6665 §4.1.2.3: a refresh or unsubscribe belongs to its dialog, whatever its headers;
 * a sign-out unSUBSCRIBE carries no Accept). Dialog-creating requests: SERVICE by Content-Type,
 * SUBSCRIBE by Event and Accept, PUBLISH by Event.
 */
export function routeRequest(req: SipRequest): Route {
  switch (req.method) {
    case 'SERVICE': {
      const service = SERVICE_TYPES[mediaType(getHeader(req, 'Content-Type'))];
      return service ? { service } : { status: 415 };
    }
    case 'SUBSCRIBE': {
      const tag = toTag(req);
      const dialogOwner = tag === undefined ? undefined : ownerOfTag(tag);
      if (dialogOwner) return { service: dialogOwner };
      const event = mediaType(getHeader(req, 'Event'));
      const owner = Object.hasOwn(EVENT_PACKAGES, event) ? EVENT_PACKAGES[event] : undefined;
      if (!owner) return { status: 489, allowEvents: true };
      if (event !== 'presence') return { service: owner };
      // Enhanced presence subscribers accept categories ([MS-PRES] §3.4); PIDF/RPID subscribers go to federation.
      const accepts = getHeaders(req, 'Accept').map(mediaType);
      return { service: accepts.includes('application/msrtc-event-categories+xml') ? 'subscription' : 'federation' };
    }
    case 'PUBLISH':
      // RFC 3903 publication of PIDF by standard SIMPLE clients.
      return mediaType(getHeader(req, 'Event')) === 'presence' ? { service: 'federation' } : { status: 489, allowEvents: true };
    default:
      return { status: 501 };
  }
}
