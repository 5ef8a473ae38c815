import { randomBytes } from 'node:crypto';
import { edgeDeliverMessage, pageMessage, type Bus, type EndpointGoneReason, type PageMessageReply, type SipReply, type SipServiceName } from '@presence/bus';
import {
  buildClientPublish,
  buildContactSoap,
  buildSetContainer,
  CONTENT_TYPE,
  parseContactDocument,
  parseFaultVersions,
  type ContactDocument,
  type NotifiedPresentity,
  type StatePublication,
} from '@presence/documents';
import { CategoryWatch, type GatewayRegistrar, type GatewayRequests, type Sender, type SubscriptionDialog } from '@presence/gateway';
import type { Pools } from '@presence/runtime';
import { listRecords, registrations, type Store } from '@presence/state';
import type { Logger } from '@presence/telemetry';
import { DIRECTED_PRESENCE_TYPE, encodeDirectedPresence, type DirectedPresence } from './directed-presence.js';

/** What every endpoint of this edge shares. */
export interface EndpointDeps {
  readonly bus: Bus;
  readonly store: Store;
  readonly pools: Pools;
  readonly edgeId: string;
  readonly registrar: GatewayRegistrar;
  readonly requests: GatewayRequests;
  readonly logger: Logger;
  readonly requestTimeoutMs: number;
  /** Registration lifetime; the session refreshes at half of it. */
  readonly registrationS: number;
  /** Subscription lifetime asked for; refreshed at half of it. */
  readonly subscriptionS: number;
}

const token = (n = 8) => randomBytes(n).toString('base64url');
/** A user has at most this many sessions per edge (the hub's limit) times a few edges. */
const MAX_DIRECTED_TARGETS = 64;
/** The categories an XMPP client can show: availability and the note as status ([MS-PRES] §3.4). */
const WATCHED = ['state', 'note'];
const NOTE_CONTAINERS = [200, 300, 400];

/**
 * An XMPP session as the services see it: an endpoint like a SIP client's, registered with its own
 * epid on this edge, speaking through synthesized SIP requests (SERVICE publish, category and
 * roaming-contacts SUBSCRIBE, contact SOAP, setContainerMembers) so ACLs, aggregation, deltaNum
 * rules and the fan-out path apply unchanged ([DESIGN] one presence core, many protocol edges).
 */
export class SipEndpoint {
  readonly epid = `x${token(9)}`;
  /** Our own publication instance ids: random per session, so a new session never conflicts with an old one. */
  private readonly stateInstance = randomBytes(4).readUInt32BE() >>> 1;
  private readonly noteInstance = randomBytes(4).readUInt32BE() >>> 1;
  private readonly versions = new Map<string, number>();
  private readonly sender: Sender;
  /** The roster's category dialogs, one per pool the contacts live in. */
  private readonly watch: CategoryWatch;
  private contactsDialog: SubscriptionDialog | undefined;
  private registered = false;
  private refresher: NodeJS.Timeout | undefined;

  constructor(
    private readonly d: EndpointDeps,
    readonly user: string,
    readonly connectionId: string,
  ) {
    this.sender = { user, epid: this.epid, connectionId };
    this.watch = new CategoryWatch(d.requests, this.sender, {
      categories: WATCHED,
      expiresS: d.subscriptionS,
      onRefused: (pool, r) => d.logger.warn({ user, pool, status: r.status, reason: r.reason }, 'category subscription refused'),
    });
  }

  /** Registers the endpoint (a new binding: the publication service makes the server publications). */
  async register(): Promise<void> {
    await this.d.registrar.register({ user: this.user, epid: this.epid, connectionId: this.connectionId, transport: 'xmpp', supported: ['msrtc-event-categories', 'adhoclist', 'ms-benotify'] }, this.d.registrationS);
    this.registered = true;
    this.refresher = setInterval(() => void this.refresh().catch((e: unknown) => this.d.logger.warn({ err: e, user: this.user }, 'XMPP endpoint refresh failed')), (this.d.registrationS * 1000) / 2);
    this.refresher.unref();
  }

  /** Keeps the binding and the dialogs alive while the stream lasts (every half lifetime). */
  async refresh(): Promise<{ registered: boolean; contacts?: number; categories?: number }> {
    if (!this.registered) return { registered: false };
    // Gone meanwhile (expired, replaced, signed out): nothing to keep alive.
    if (!(await this.d.registrar.extend(this.user, this.epid, this.connectionId, this.d.registrationS))) return { registered: false };
    const out: { registered: boolean; contacts?: number; categories?: number } = { registered: true };
    if (this.contactsDialog) out.contacts = (await this.d.requests.subscribeContacts(this.sender, this.d.subscriptionS, this.contactsDialog)).reply.status;
    const categories = await this.watch.refresh();
    if (categories !== undefined) out.categories = categories;
    if (out.contacts !== undefined && out.contacts !== 200) this.d.logger.warn({ user: this.user, status: out.contacts }, 'roaming-contacts refresh refused');
    return out;
  }

  /** Ends the endpoint: `endpoint-gone` ends its dialogs and endpoint-bound publications. */
  async unregister(reason: EndpointGoneReason): Promise<void> {
    clearInterval(this.refresher);
    if (!this.registered) return;
    this.registered = false;
    await this.d.registrar.end(this.user, this.epid, reason, this.connectionId);
  }

  private service(service: SipServiceName, contentType: string, body: string): Promise<SipReply> {
    return this.d.requests.service(service, this.sender, contentType, body);
  }

  /** The roaming-contacts subscription ([MS-SIP] §3.7): the full list now, deltas later as NOTIFYs. */
  async contacts(): Promise<ContactDocument | undefined> {
    const { reply, dialog } = await this.d.requests.subscribeContacts(this.sender, this.d.subscriptionS);
    if (reply.status !== 200 || !dialog) {
      this.d.logger.warn({ user: this.user, status: reply.status }, 'roaming-contacts subscription refused');
      return undefined;
    }
    this.contactsDialog = dialog;
    const doc = parseContactDocument(reply.body ?? '');
    return doc.ok ? doc.value : undefined;
  }

  /**
   * The batch category subscriptions for the roster ([MS-PRES] §3.4.5.1.3): per pool one dialog,
   * resources added or removed within it. Answers the first notifications the answers carried.
   */
  categories(action: 'subscribe' | 'unsubscribe', resources: readonly string[]): Promise<NotifiedPresentity[]> {
    return this.watch.change(action, resources);
  }

  /** A category dialog the services ended: forgotten; answers the resources it watched, to be watched anew. */
  categoryDialogEnded(callId: string): string[] {
    return this.watch.ended(callId);
  }

  /** Publishes with the versions this session knows; on a 409 retries once with the server's current ones. */
  private async publishVersioned(ops: { key: string }[], build: (version: (key: string) => number) => string): Promise<boolean> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const reply = await this.service('publication', CONTENT_TYPE.publish, build((k) => this.versions.get(k) ?? 0));
      if (reply.status === 200) {
        for (const o of ops) this.versions.set(o.key, (this.versions.get(o.key) ?? 0) + 1);
        return true;
      }
      if (reply.status !== 409) {
        this.d.logger.warn({ user: this.user, status: reply.status, reason: reply.reason }, 'XMPP presence publication refused');
        return false;
      }
      // [MS-PRES] §2.2.2.2.3: the fault names each failed operation's current version.
      const current = parseFaultVersions(reply.body ?? '');
      ops.forEach((o, i) => {
        const v = current.get(i + 1);
        if (v !== undefined) this.versions.set(o.key, v);
      });
    }
    return false;
  }

  /**
   * The session's presence as its endpoint's machine state in container 2, the input of state
   * aggregation ([MS-PRES] §3.8.5.1.2), and its status as a personal note in the containers
   * subscribers read notes from.
   */
  async publishPresence(availability: number, activity: string | undefined, note: string | undefined): Promise<boolean> {
    const stateKey = 'state:2';
    const ops = [{ key: stateKey }, ...(note !== undefined ? NOTE_CONTAINERS.map((c) => ({ key: `note:${c}` })) : [])];
    return this.publishVersioned(ops, (version) => {
      const state: StatePublication = { type: 'machineState', instance: this.stateInstance, container: 2, version: version(stateKey), availability, ...(activity ? { activity } : {}) };
      return buildClientPublish(this.user, [state], note === undefined ? [] : NOTE_CONTAINERS.map((container) => ({ container, version: version(`note:${container}`), text: note })), this.noteInstance);
    });
  }

  /** Adds `contact` to (or removes them from) one of the user's containers ([MS-PRES] §2.2.2.5). */
  async setMember(container: number, action: 'add' | 'remove', contact: string): Promise<boolean> {
    let version = 0;
    for (let attempt = 0; attempt < 2; attempt++) {
      const reply = await this.service('publication', CONTENT_TYPE.setContainerMembers, buildSetContainer(container, version, [{ action, type: 'user', value: contact }]));
      if (reply.status === 200) return true;
      if (reply.status !== 409) return false;
      version = parseFaultVersions(reply.body ?? '').get(1) ?? version;
    }
    return false;
  }

  /** [MS-SIP] §3.7.4.3 setContact / deleteContact with the list's current deltaNum; answers the SIP status. */
  async setContact(c: { uri: string; name: string; groups: readonly number[]; subscribed?: boolean }, deltaNum: number): Promise<number> {
    return (await this.service('subscription', CONTENT_TYPE.soap, buildContactSoap({ op: 'setContact', deltaNum, ...c }))).status;
  }

  async deleteContact(uri: string, deltaNum: number): Promise<number> {
    return (await this.service('subscription', CONTENT_TYPE.soap, buildContactSoap({ op: 'deleteContact', deltaNum, uri }))).status;
  }

  /**
   * Directed presence (RFC 6121 §4.6) to `to`'s XMPP sessions, on whichever edge each is: the
   * registrations say where (only XMPP ones: a SIP endpoint has no use for it). Answers how many
   * sessions took it.
   */
  async directPresence(to: string, p: DirectedPresence): Promise<number> {
    const part = { pool: await this.d.pools.home(to), user: to };
    const sessions = (await listRecords(this.d.store, part, registrations)).filter((r) => r.value.transport === 'xmpp').slice(0, MAX_DIRECTED_TARGETS);
    const body = encodeDirectedPresence(p);
    const replies = await Promise.all(
      sessions.map((r) =>
        this.d.bus
          .request(
            edgeDeliverMessage,
            r.value.edgeId,
            { from: this.user, to, contentType: DIRECTED_PRESENCE_TYPE, body, fromEpid: this.epid, callId: token(12), connectionId: r.value.connectionId, epid: r.value.epid },
            { timeoutMs: this.d.requestTimeoutMs },
          )
          .catch(() => ({ delivered: false })),
      ),
    );
    return replies.filter((r) => r.delivered).length;
  }

  /** A page-mode message to a user, delivered by their home pool to every endpoint of theirs. */
  async message(to: string, body: string): Promise<PageMessageReply> {
    return this.d.bus.request(pageMessage, await this.d.pools.home(to), { from: this.user, to, contentType: 'text/plain; charset=utf-8', body, fromEpid: this.epid, callId: token(12) }, { timeoutMs: this.d.requestTimeoutMs });
  }
}
