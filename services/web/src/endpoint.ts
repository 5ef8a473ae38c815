import type { SipReply, SipServiceName } from '@presence/bus';
import {
  buildClientPublish,
  buildContactSoap,
  buildEmptyPublish,
  buildSetContainer,
  CONTENT_TYPE,
  type ClientContactOp,
  type ContainerMemberChange,
  type NotePublication,
  type NotifiedPresentity,
  type StatePublication,
} from '@presence/documents';
import { CategoryWatch, ROAMING_CONTACTS, type GatewayRequests, type Sender, type SubscriptionDialog } from '@presence/gateway';
import { UnavailableError } from './problems.js';

export type { Sender } from '@presence/gateway';

/** Categories a web watcher subscribes to ([MS-PRES] §3.4.5.1.2). */
export const WATCHED_CATEGORIES = ['state', 'note', 'contactCard'] as const;

/**
 * The web session as an endpoint ([DESIGN] one presence core, many protocol edges): the gateway's
 * synthesized requests (@presence/gateway) with the web's documents, and a service that does not
 * answer turned into the API's 503.
 */
export class WebEndpoint {
  constructor(readonly requests: GatewayRequests) {}

  get edgeId(): string {
    return this.requests.edgeId;
  }

  private async guard<T>(service: SipServiceName, p: Promise<T>): Promise<T> {
    try {
      return await p;
    } catch (e) {
      throw new UnavailableError(`the ${service} service did not answer`, { cause: e });
    }
  }

  private service(service: SipServiceName, s: Sender, contentType: string, body: string): Promise<SipReply> {
    return this.guard(service, this.requests.service(service, s, contentType, body));
  }

  /** A category publish ([MS-PRES] §3.2.5.1) of the endpoint's state and note instances; an empty note text removes the note. */
  publish(s: Sender, states: readonly StatePublication[], notes: readonly NotePublication[], noteInstance: string): Promise<SipReply> {
    return this.service('publication', s, CONTENT_TYPE.publish, buildClientPublish(s.user, states, notes.map((n) => (n.text === '' ? { ...n, remove: true } : n)), noteInstance));
  }

  /** Empty static instances of `categories` in `container` (the blocked container's placeholders). */
  publishEmpty(s: Sender, container: number, categories: readonly string[]): Promise<SipReply> {
    return this.service('publication', s, CONTENT_TYPE.publish, buildEmptyPublish(s.user, container, categories));
  }

  /** setContainerMembers ([MS-PRES] §3.5.5.1). */
  setContainer(s: Sender, id: number, version: number, changes: readonly ContainerMemberChange[]): Promise<SipReply> {
    return this.service('publication', s, CONTENT_TYPE.setContainerMembers, buildSetContainer(id, version, changes));
  }

  /** A contact list primitive ([MS-SIP] §3.7.4.3): answered by the subscription service of the home pool. */
  contactOp(s: Sender, op: ClientContactOp): Promise<SipReply> {
    return this.service('subscription', s, CONTENT_TYPE.soap, buildContactSoap(op));
  }

  /** A poll ([MS-PRES] §3.4.5.1.1, Expires 0): the current view of `resources`, homed at `pool`, no dialog. */
  async poll(s: Sender, resources: readonly string[], pool: string): Promise<{ reply: SipReply; presentities: NotifiedPresentity[] }> {
    return this.guard('subscription', this.requests.subscribeCategories(s, { pool, resources, categories: WATCHED_CATEGORIES, expires: 0 }));
  }

  /** The category dialogs of one live stream. */
  watch(s: Sender, expiresS: number): CategoryWatch {
    return new CategoryWatch(this.requests, s, { categories: WATCHED_CATEGORIES, expiresS });
  }

  /** The home pool of each resource. */
  byPool(uris: Iterable<string>): Promise<Map<string, string[]>> {
    return this.requests.byPool(uris);
  }

  /** A roaming-contacts SUBSCRIBE ([MS-SIP] §3.7.4.1): deltas of the contact list reach this connection. */
  subscribeContacts(s: Sender, expires: number, dialog?: SubscriptionDialog): Promise<{ reply: SipReply; dialog?: SubscriptionDialog }> {
    return this.guard('subscription', this.requests.subscribeContacts(s, expires, dialog));
  }

  /** Ends a roaming-contacts dialog. */
  unsubscribeContacts(s: Sender, dialog: SubscriptionDialog): Promise<void> {
    return this.requests.unsubscribe(s, ROAMING_CONTACTS, dialog);
  }
}
