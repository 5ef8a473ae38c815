import type { BusHeader } from '@presence/bus';

/** What a gateway needs of a NOTIFY/BENOTIFY the services sent to one of its connections. */
export interface GatewayNotification {
  /** The event package, lower case: `presence`, `vnd-microsoft-roaming-contacts`, ... */
  readonly event: string;
  /** RFC 6665 §4.1.3: the services ended the dialog (Subscription-State: terminated). */
  readonly terminated: boolean;
  readonly callId: string;
  readonly contentType: string;
  readonly body: string;
}

/** Reads the headers a gateway acts on; pure. */
export function readNotification(headers: readonly BusHeader[], body: string): GatewayNotification {
  const h = (name: string) => headers.find((x) => x.name.toLowerCase() === name)?.value ?? '';
  return {
    event: h('event').split(';')[0]!.trim().toLowerCase(),
    terminated: /^\s*terminated/i.test(h('subscription-state')),
    callId: h('call-id'),
    contentType: h('content-type'),
    body,
  };
}
