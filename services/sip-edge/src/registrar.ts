import { endpointGone, endpointRegistered, type Bus, type EndpointGoneReason } from '@presence/bus';
import {
  addressOfRecord,
  createResponse,
  getHeader,
  getHeaders,
  optionTags,
  param,
  parseNameAddr,
  parseUri,
  quote,
  randomToken,
  type SipHeader,
  type SipRequest,
  type SipResponse,
} from '@presence/sip';
import { getRecord, listRecords, put, registrations, remove, type Partition, type RegistrationRecord, type Store, type StoredRecord } from '@presence/state';
import type { Logger } from '@presence/telemetry';
import type { Flow } from './flows.js';
import { endpointGruu } from './gruu.js';

export interface RegistrarOptions {
  store: Store;
  bus: Bus;
  /** Every pool (the sweeper sweeps them all) and the home pool of a user, where their bindings live. */
  pools: readonly string[];
  homePool(aor: string): Promise<string>;
  edgeId: string;
  domains: readonly string[];
  minExpires: number;
  defaultExpires: number;
  maxExpires: number;
  /**
   * Most endpoints (bindings) one user may have, like Lync's MaxEndpointsPerUser: a new endpoint
   * past it replaces the user's least recently registered one (ended with reason `replaced`).
   */
  maxEndpoints: number;
  /** Headers every REGISTER 200 carries (Supported, Allow-Events). */
  extraHeaders: readonly SipHeader[];
  logger: Logger;
  now?: () => number;
  /** Told +1 for each new binding and -1 for each binding this edge ended (the active-registrations metric). */
  onBindings?: (delta: number) => void;
}

/**
 * The registrar (RFC 3261 §10.3, RFC 5627 GRUUs): binds endpoints of authenticated users, answers
 * with their GRUUs, and ends bindings on `Expires: 0`, on expiry and when the connection that
 * registered closes, each time announcing `endpoint-gone` for the services that keep
 * endpoint-bound state.
 */
export class Registrar {
  private readonly byFlow = new Map<string, Set<string>>();
  private readonly now: () => number;

  constructor(private readonly o: RegistrarOptions) {
    this.now = o.now ?? Date.now;
  }

  private async partition(user: string): Promise<Partition> {
    return { pool: await this.o.homePool(user), user };
  }

  async register(req: SipRequest, flow: Flow, user: string): Promise<SipResponse> {
    const reply = (status: number, headers: SipHeader[] = [], reason?: string) =>
      createResponse(req, status, { toTag: randomToken(), headers, ...(reason ? { reason } : {}) });

    const ruri = parseUri(req.uri);
    if (!ruri.ok || !this.o.domains.includes(ruri.value.host.toLowerCase())) return reply(404, [], 'Domain Not Served');
    const to = parseNameAddr(getHeader(req, 'To') ?? '');
    const toUri = to.ok ? parseUri(to.value.uri) : undefined;
    if (!toUri?.ok) return reply(400, [], 'Bad To Header');
    // Only the user may register their own address (no third-party registration).
    if (addressOfRecord(toUri.value) !== user) return reply(403, [], 'To Does Not Match The Authenticated User');

    const from = parseNameAddr(getHeader(req, 'From') ?? '');
    const epidParam = from.ok ? param(from.value.params, 'epid') : undefined;
    const contacts = getHeaders(req, 'Contact');
    const expiresHeader = getHeader(req, 'Expires');
    const p = await this.partition(user);

    if (contacts.length === 1 && contacts[0] === '*') {
      if (expiresHeader !== '0') return reply(400, [], 'Wildcard Contact Requires Expires 0');
      for (const rec of await listRecords(this.o.store, p, registrations)) await this.end(user, rec, 'unregistered');
      return reply(200, this.o.extraHeaders.slice());
    }

    if (contacts.length > this.o.maxEndpoints) return reply(403, [], 'Too Many Contacts');
    for (const raw of contacts) {
      const c = parseNameAddr(raw);
      if (!c.ok || c.value.uri === '*' || !parseUri(c.value.uri).ok) return reply(400, [], 'Bad Contact');
      const contactExpires = param(c.value.params, 'expires');
      const requested = Number(contactExpires ?? expiresHeader ?? this.o.defaultExpires);
      if (!Number.isSafeInteger(requested) || requested < 0) return reply(400, [], 'Bad Expires');
      if (requested !== 0 && requested < this.o.minExpires) {
        return reply(423, [{ name: 'Min-Expires', value: String(this.o.minExpires) }]);
      }
      const instance = param(c.value.params, '+sip.instance');
      // MS clients name the endpoint with `epid` on From ([MS-PRES] §4.2.1); RFC 5627 clients with +sip.instance.
      const epid = epidParam ?? instance ?? `c-${Buffer.from(c.value.uri).toString('base64url').slice(0, 32)}`;
      if (requested === 0) {
        const current = await getRecord(this.o.store, p, registrations, epid);
        if (current) await this.end(user, current, 'unregistered');
        continue;
      }
      const expires = Math.min(requested, this.o.maxExpires);
      const binding: RegistrationRecord = {
        epid,
        ...(instance !== undefined ? { instance } : {}),
        contact: c.value.uri,
        gruu: endpointGruu(user, instance ?? epid),
        edgeId: this.o.edgeId,
        connectionId: flow.id,
        transport: flow.transport,
        supported: [...optionTags(req, 'Supported')],
        registeredAt: new Date(this.now()).toISOString(),
      };
      const existed = (await getRecord(this.o.store, p, registrations, epid)) !== undefined;
      if (!existed) await this.makeRoom(user, p);
      await this.o.store.apply(p, [put(registrations, binding, { expiresAt: this.now() + expires * 1000 })]);
      if (flow.reliable) this.track(flow.id, user, epid);
      if (!existed) this.o.onBindings?.(1);
      if (!existed) await this.announceNew(user, epid);
    }

    // The 200 lists the user's current bindings, each with its remaining time and GRUU (RFC 3261 §10.3 step 8).
    const now = this.now();
    const bindings = await listRecords(this.o.store, p, registrations);
    const headers: SipHeader[] = bindings.map((b) => ({ name: 'Contact', value: this.contactValue(b, now) }));
    const mine = bindings.find((b) => b.id === epidParam) ?? bindings[0];
    if (mine?.expiresAt !== undefined) headers.push({ name: 'Expires', value: String(Math.max(0, Math.round((mine.expiresAt - now) / 1000))) });
    return reply(200, [...headers, ...this.o.extraHeaders]);
  }

  /** Ends the least recently registered endpoints until a new one fits under the per-user limit. */
  private async makeRoom(user: string, p: Partition): Promise<void> {
    const bindings = await listRecords(this.o.store, p, registrations);
    if (bindings.length < this.o.maxEndpoints) return;
    const oldest = bindings.sort((a, b) => a.value.registeredAt.localeCompare(b.value.registeredAt)).slice(0, bindings.length - this.o.maxEndpoints + 1);
    this.o.logger.info({ user, endpoints: bindings.length, max: this.o.maxEndpoints, replaced: oldest.map((b) => b.id) }, 'endpoint limit reached: the oldest endpoint is replaced');
    for (const rec of oldest) await this.end(user, rec, 'replaced');
  }

  private contactValue(b: StoredRecord<RegistrationRecord>, now: number): string {
    const remaining = Math.max(0, Math.round(((b.expiresAt ?? now) - now) / 1000));
    const instance = b.value.instance === undefined ? '' : `;+sip.instance=${quote(b.value.instance)}`;
    // [MS-SIPRE] names the GRUU parameter `gruu`; RFC 5627 clients read `pub-gruu`.
    return `<${b.value.contact}>;expires=${remaining}${instance};gruu=${quote(b.value.gruu)};pub-gruu=${quote(b.value.gruu)}`;
  }

  /** A new endpoint (not a refresh): the publication service makes the user's server publications. */
  private async announceNew(user: string, epid: string): Promise<void> {
    const count = (await listRecords(this.o.store, await this.partition(user), registrations)).length;
    const at = new Date(this.now()).toISOString();
    await this.o.bus.publish(endpointRegistered, await this.o.homePool(user), { user, epid, firstEndpoint: count === 1, at }, { msgId: `endpoint-registered:${user}:${epid}:${at}` });
  }

  private track(flowId: string, user: string, epid: string): void {
    const set = this.byFlow.get(flowId) ?? new Set<string>();
    set.add(`${user}\u0000${epid}`);
    this.byFlow.set(flowId, set);
  }

  /** Removes a binding (if it is still the version we saw) and announces it. */
  private async end(user: string, rec: StoredRecord<RegistrationRecord>, reason: EndpointGoneReason): Promise<boolean> {
    const p = await this.partition(user);
    const r = await this.o.store.apply(p, [remove(registrations, rec.id, { expect: rec.version })]);
    if (!r.ok) return false;
    this.o.onBindings?.(-1);
    const lastEndpoint = (await listRecords(this.o.store, p, registrations)).length === 0;
    await this.o.bus.publish(
      endpointGone,
      p.pool,
      { user, epid: rec.id, reason, lastEndpoint, at: new Date(this.now()).toISOString() },
      { msgId: `endpoint-gone:${user}:${rec.id}:${rec.version}` },
    );
    this.o.logger.info({ user, epid: rec.id, reason, lastEndpoint }, 'endpoint gone');
    return true;
  }

  /** Ends registrations whose time has passed; returns how many. Safe to run on every edge at once. */
  async sweepExpired(limit = 200): Promise<number> {
    let n = 0;
    for (const pool of this.o.pools) {
      for (const due of await this.o.store.due(pool, registrations.name, this.now(), limit)) {
        if (await this.end(due.partition.user, due.record as StoredRecord<RegistrationRecord>, 'expired')) n++;
      }
    }
    return n;
  }

  /** Ends every endpoint of a user who left the directory (deleted or disabled), on whichever edge it is. */
  async signOut(user: string): Promise<void> {
    const p = await this.partition(user);
    for (const rec of await listRecords(this.o.store, p, registrations)) await this.end(user, rec, 'signed-out');
  }

  /** A TCP/TLS connection closed: its endpoints are gone (unless they re-registered elsewhere since). */
  async flowClosed(flow: Flow): Promise<void> {
    const bound = this.byFlow.get(flow.id);
    this.byFlow.delete(flow.id);
    for (const key of bound ?? []) {
      const [user, epid] = key.split('\u0000') as [string, string];
      const rec = await getRecord(this.o.store, await this.partition(user), registrations, epid);
      if (rec && rec.value.connectionId === flow.id && rec.value.edgeId === this.o.edgeId) await this.end(user, rec, 'connection-lost');
    }
  }
}
