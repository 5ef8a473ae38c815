import { endpointGone, endpointRegistered, type Bus, type EndpointGoneReason } from '@presence/bus';
import type { Pools } from '@presence/runtime';
import { getRecord, listRecords, put, registrations, remove, type Collection, type Partition, type RegistrationRecord, type Store } from '@presence/state';

/**
 * Which gateway instance and session hold an endpoint. Kept beside the registration in the user's
 * partition because `endpoint-gone` names only the user and the epid, and the registrar has
 * removed the registration by then: this is how the event finds the session to end.
 */
export interface EndpointOwner {
  readonly epid: string;
  readonly transport: 'web' | 'xmpp';
  readonly edgeId: string;
  readonly connectionId: string;
}

/** Owners of gateway endpoints; id = epid. Removed with the registration, or when `endpoint-gone` is handled. */
export const endpointOwners: Collection<EndpointOwner> = Object.freeze({ name: 'gwep', idOf: (o: EndpointOwner) => o.epid });

/** A gateway session's endpoint: what its registration says besides the epid and connection. */
export interface GatewayBinding {
  readonly user: string;
  readonly epid: string;
  readonly connectionId: string;
  readonly transport: 'web' | 'xmpp';
  /** Option tags the endpoint supports ([MS-PRES] §3.2.5.1.1). */
  readonly supported: readonly string[];
}

/**
 * Registers, keeps and ends gateway endpoints (web sessions, XMPP resources) as the SIP registrar
 * does SIP clients' ([DESIGN] Flows: REGISTER; a new binding is announced with
 * `endpoint-registered`, an ended one with `endpoint-gone`, so the services treat them alike).
 */
export class GatewayRegistrar {
  constructor(
    private readonly o: { store: Store; bus: Bus; pools: Pools; edgeId: string; now?: () => number },
  ) {}

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  async partition(user: string): Promise<Partition> {
    return { pool: await this.o.pools.home(user), user };
  }

  private record(b: GatewayBinding): RegistrationRecord {
    return {
      epid: b.epid,
      contact: `${b.user};transport=${b.transport}`,
      gruu: `${b.user};opaque=user:epid:${b.epid};gruu`,
      edgeId: this.o.edgeId,
      connectionId: b.connectionId,
      transport: b.transport,
      supported: [...b.supported],
      registeredAt: new Date(this.now()).toISOString(),
    };
  }

  /** A new binding for `ttlS` seconds, announced (the publication service makes the user's server publications). */
  async register(b: GatewayBinding, ttlS: number): Promise<void> {
    const p = await this.partition(b.user);
    const expiresAt = this.now() + ttlS * 1000;
    await this.o.store.apply(p, [
      put(registrations, this.record(b), { expiresAt }),
      // No expiry of its own: it goes with the registration's end, whoever ends it (see GatewayEdge).
      put(endpointOwners, { epid: b.epid, transport: b.transport, edgeId: this.o.edgeId, connectionId: b.connectionId }),
    ]);
    const count = (await listRecords(this.o.store, p, registrations)).length;
    const at = new Date(this.now()).toISOString();
    await this.o.bus.publish(endpointRegistered, p.pool, { user: b.user, epid: b.epid, firstEndpoint: count === 1, at }, { msgId: `endpoint-registered:${b.user}:${b.epid}:${at}` });
  }

  /**
   * Extends the binding by `ttlS` if it is still this connection's; false when it is gone (expired,
   * replaced, signed out) or now another connection's.
   */
  async extend(user: string, epid: string, connectionId: string | undefined, ttlS: number): Promise<boolean> {
    const p = await this.partition(user);
    const expiresAt = this.now() + ttlS * 1000;
    for (let attempt = 0; attempt < 3; attempt++) {
      const reg = await getRecord(this.o.store, p, registrations, epid);
      if (!reg || (connectionId !== undefined && reg.value.connectionId !== connectionId)) return false;
      if ((await this.o.store.apply(p, [put(registrations, reg.value, { expect: reg.version, expiresAt })])).ok) return true;
    }
    return false;
  }

  /** Whether the endpoint is registered now. */
  async alive(user: string, epid: string): Promise<boolean> {
    return (await getRecord(this.o.store, await this.partition(user), registrations, epid)) !== undefined;
  }

  /**
   * Ends the binding (if it is still there, and this connection's when one is named) and announces
   * it: publication drops its endpoint-bound instances, subscription ends its dialogs. The owner
   * record goes first, so this edge's own `endpoint-gone` ends no session twice.
   */
  async end(user: string, epid: string, reason: EndpointGoneReason, connectionId?: string): Promise<boolean> {
    const p = await this.partition(user);
    await this.o.store.apply(p, [remove(endpointOwners, epid)]);
    const reg = await getRecord(this.o.store, p, registrations, epid);
    if (!reg || (connectionId !== undefined && reg.value.connectionId !== connectionId)) return false;
    const r = await this.o.store.apply(p, [remove(registrations, epid, { expect: reg.version })]);
    if (!r.ok) return false;
    const lastEndpoint = (await listRecords(this.o.store, p, registrations)).length === 0;
    await this.o.bus.publish(endpointGone, p.pool, { user, epid, reason, lastEndpoint, at: new Date(this.now()).toISOString() }, { msgId: `endpoint-gone:${user}:${epid}:${reg.version}` });
    return true;
  }
}
