import type { Bus, EndpointGoneReason } from '@presence/bus';
import { GatewayRegistrar } from '@presence/gateway';
import type { Pools } from '@presence/runtime';
import { getRecord, listRecords, put, registrations, remove, type Collection, type Partition, type RegistrationRecord, type Store } from '@presence/state';
import type { Logger } from '@presence/telemetry';
import { newId } from './tokens.js';

/** One event of a session's live stream, kept for resumption (Last-Event-ID). */
export interface StreamEvent {
  readonly id: number;
  readonly event: string;
  readonly data: unknown;
}

/**
 * A signed-in web session, in the user's partition of the store (so any web instance serves it):
 * its endpoint id, the refresh token's rotation nonce, and the stream's resumption state: the
 * last events (bounded) and what the browser was last told of each contact.
 */
export interface WebSessionRecord {
  readonly id: string;
  readonly user: string;
  readonly epid: string;
  readonly refreshNonce: string;
  readonly createdAt: string;
  readonly seq: number;
  readonly log: readonly StreamEvent[];
  readonly views: Readonly<Record<string, unknown>>;
  /**
   * Set when the registrar signed the user's endpoints out (they left the directory): the
   * session's streams end on every instance, and the API answers 403 for it from then on.
   */
  readonly signedOut?: boolean;
}

/** Web sessions; id = session id. */
export const webSessions: Collection<WebSessionRecord> = Object.freeze({ name: 'wses', idOf: (s: WebSessionRecord) => s.id });

/** Events kept per session for resumption: older Last-Event-IDs get a fresh snapshot. */
export const STREAM_LOG_MAX = 100;

/**
 * Sessions and their endpoints. A session is a registration like a SIP client's ([MS-PRES]
 * §3.2.5.1.2: its endpoint-bound publications go with it): transport `web`, this web service's
 * edge id, the session id as connection. Signing out or expiry ends the registration with
 * `endpoint-gone`, so publication drops what the browser published.
 */
export class Sessions {
  private readonly registrar: GatewayRegistrar;

  constructor(
    private readonly o: {
      store: Store;
      bus: Bus;
      pools: Pools;
      edgeId: string;
      ttlS: number;
      /** How long the endpoint stays registered without a refresh or an open stream. */
      endpointTtlS: number;
      maxPerUser: number;
      logger: Logger;
      now?: () => number;
      /** Told of each session this instance ends (its streams here end at once). */
      onEnded?: (sessionId: string) => void;
    },
  ) {
    this.registrar = new GatewayRegistrar({ store: o.store, bus: o.bus, pools: o.pools, edgeId: o.edgeId, now: () => this.now() });
  }

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  async partition(user: string): Promise<Partition> {
    return { pool: await this.o.pools.home(user), user };
  }

  /** The session's endpoint ([MS-PRES] §3.2.5.1.2): transport `web`, the session id as its connection. */
  private register(user: string, session: WebSessionRecord): Promise<void> {
    return this.registrar.register(
      { user, epid: session.epid, connectionId: session.id, transport: 'web', supported: ['msrtc-event-categories', 'ms-benotify', 'ms-piggyback-first-notify', 'adhoclist'] },
      this.o.endpointTtlS,
    );
  }

  async create(user: string): Promise<WebSessionRecord> {
    const p = await this.partition(user);
    // Bounded like a user's SIP endpoints (REGISTER_MAX_ENDPOINTS): past the limit the oldest web
    // session is signed out, as Lync replaces the least recently registered endpoint.
    const current = (await listRecords(this.o.store, p, webSessions)).sort((a, b) => a.value.createdAt.localeCompare(b.value.createdAt));
    for (const old of current.slice(0, Math.max(0, current.length - this.o.maxPerUser + 1))) await this.end(user, old.id, 'replaced');
    const id = newId();
    const epid = `w${newId(6).replace(/[^A-Za-z0-9]/g, '0')}`.slice(0, 10);
    const session: WebSessionRecord = { id, user, epid, refreshNonce: newId(), createdAt: new Date(this.now()).toISOString(), seq: 0, log: [], views: {} };
    await this.o.store.apply(p, [put(webSessions, session, { expiresAt: this.now() + this.o.ttlS * 1000 })]);
    await this.register(user, session);
    this.o.logger.info({ user, epid, session: id }, 'web session signed in');
    return session;
  }

  /** The session if it exists and has not expired. */
  async get(user: string, id: string): Promise<{ session: WebSessionRecord; version: number } | undefined> {
    const rec = await getRecord(this.o.store, await this.partition(user), webSessions, id);
    if (!rec || (rec.expiresAt !== undefined && rec.expiresAt <= this.now())) return undefined;
    return { session: rec.value, version: rec.version };
  }

  /**
   * Keeps the session's endpoint registered for WEB_ENDPOINT_TTL_S more (a browser that is gone stops
   * doing this, and its endpoint ends like a SIP client's that stops re-registering). An endpoint
   * that already ended is registered again: `registered` (its dialogs and publications are gone).
   */
  async keepEndpoint(user: string, session: WebSessionRecord): Promise<'extended' | 'registered'> {
    if (await this.registrar.extend(user, session.epid, undefined, this.o.endpointTtlS)) return 'extended';
    await this.register(user, session);
    this.o.logger.info({ user, epid: session.epid, session: session.id }, 'web endpoint registered again');
    return 'registered';
  }

  /** Whether the session's endpoint is registered now. */
  async endpointAlive(user: string, session: WebSessionRecord): Promise<boolean> {
    return this.registrar.alive(user, session.epid);
  }

  /** Rotates the refresh nonce and extends the session; undefined when `nonce` is not current. */
  async refresh(user: string, id: string, nonce: string): Promise<WebSessionRecord | undefined> {
    const p = await this.partition(user);
    for (let attempt = 0; attempt < 3; attempt++) {
      const cur = await this.get(user, id);
      if (!cur || cur.session.refreshNonce !== nonce) return undefined;
      const next = { ...cur.session, refreshNonce: newId() };
      const r = await this.o.store.apply(p, [put(webSessions, next, { expect: cur.version, expiresAt: this.now() + this.o.ttlS * 1000 })]);
      if (r.ok) return next;
    }
    return undefined;
  }

  /** Appends events to the session's log (bounded) and records the views they told; answers them with ids. */
  async record(user: string, id: string, events: readonly { event: string; data: unknown; view?: { uri: string; value: unknown } }[]): Promise<StreamEvent[]> {
    const p = await this.partition(user);
    for (let attempt = 0; attempt < 5; attempt++) {
      const cur = await this.get(user, id);
      if (!cur) return [];
      let seq = cur.session.seq;
      // Entries without an event name only record a view (what a snapshot told).
      const added = events.filter((e) => e.event !== '').map((e) => ({ id: ++seq, event: e.event, data: e.data }));
      const views: Record<string, unknown> = { ...cur.session.views };
      for (const e of events) if (e.view) views[e.view.uri] = e.view.value;
      const next: WebSessionRecord = { ...cur.session, seq, log: [...cur.session.log, ...added].slice(-STREAM_LOG_MAX), views };
      const r = await this.o.store.apply(p, [put(webSessions, next, { expect: cur.version, keepExpiry: true })]);
      if (r.ok) return added;
    }
    return [];
  }

  /** Marks the session signed out by the registrar (see {@link WebSessionRecord.signedOut}); false when it is gone. */
  async markSignedOut(user: string, id: string): Promise<boolean> {
    const p = await this.partition(user);
    for (let attempt = 0; attempt < 5; attempt++) {
      const cur = await this.get(user, id);
      if (!cur) return false;
      if (cur.session.signedOut) return true;
      if ((await this.o.store.apply(p, [put(webSessions, { ...cur.session, signedOut: true }, { expect: cur.version, keepExpiry: true })])).ok) return true;
    }
    return false;
  }

  /** Signs the session out: its endpoint ends (endpoint-gone), then the session record goes. */
  async end(user: string, id: string, reason: EndpointGoneReason = 'unregistered'): Promise<void> {
    const p = await this.partition(user);
    const cur = await this.get(user, id);
    if (cur) await this.endEndpoint(user, cur.session.epid, reason);
    await this.o.store.apply(p, [remove(webSessions, id)]);
    this.o.onEnded?.(id);
  }

  private async endEndpoint(user: string, epid: string, reason: EndpointGoneReason): Promise<void> {
    if (await this.registrar.end(user, epid, reason)) this.o.logger.info({ user, epid, reason }, 'web endpoint gone');
  }

  /**
   * Ends web endpoints and sessions whose time has passed (the SIP edge's sweeper ends only what it
   * can see too, and a clustered deployment may run web instances without an edge). Safe on every
   * instance at once: removals are compare-and-set.
   */
  async sweep(pools: readonly string[], limit = 200): Promise<number> {
    let n = 0;
    const now = this.now();
    for (const pool of pools) {
      for (const due of await this.o.store.due(pool, registrations.name, now, limit)) {
        const reg = due.record.value as RegistrationRecord;
        if (reg.transport !== 'web') continue;
        await this.endEndpoint(due.partition.user, reg.epid, 'expired');
        n++;
      }
      for (const due of await this.o.store.due(pool, webSessions.name, now, limit)) {
        await this.endEndpoint(due.partition.user, (due.record.value as WebSessionRecord).epid, 'expired');
        await this.o.store.apply(due.partition, [remove(webSessions, due.record.id, { expect: due.record.version })]);
        this.o.onEnded?.(due.record.id);
      }
    }
    return n;
  }
}
