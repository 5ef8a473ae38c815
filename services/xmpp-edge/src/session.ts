import type { BusHeader } from '@presence/bus';
import { parseContactDocument, parseNotifiedCategories, presentityView, type Contact, type PresentityView } from '@presence/documents';
import { readNotification, ROAMING_CONTACTS } from '@presence/gateway';
import type { Logger } from '@presence/telemetry';
import type { DirectedPresence } from './directed-presence.js';
import type { SipEndpoint } from './endpoint.js';
import type { StreamErrorCondition } from './errors.js';
import { aorOfJid, bareJid, fullJid, jidOfAor, parseJid, type Jid } from './jid.js';
import { availabilityOfShow, isShow, showOfAvailability, type Show } from './presence-map.js';
import { child, children, el, serialize, text, type XmlElement } from './xml.js';

export const NS_ROSTER = 'jabber:iq:roster';
export const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const NS_SESSION = 'urn:ietf:params:xml:ns:xmpp-session';
const NS_PING = 'urn:xmpp:ping';
const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';
const OFFLINE = 18500;
const MAX_STATUS_CHARS = 1024;
const MAX_BODY_CHARS = 16_384;
/** Addressees of directed presence remembered for their unavailable later (RFC 6121 §4.6.3). */
const MAX_DIRECTED = 100;

/** Where a session writes: one stream (c2s) or a BOSH session's queue. */
export interface StanzaSink {
  send(xml: string): void;
  /** Ends the stream with a stream error (RFC 6120 §4.9): by default, the user left the directory. */
  close(condition?: StreamErrorCondition, message?: string): void;
}

export interface SessionDeps {
  readonly logger: Logger;
  /** The domains served here (lower case): directed presence goes only to their users. */
  readonly domains: readonly string[];
  readonly contactContainer: number;
}

type ErrorType = 'cancel' | 'modify' | 'auth' | 'wait';

/** A stanza error (RFC 6120 §8.3) in answer to `stanza`. */
export function stanzaError(stanza: XmlElement, type: ErrorType, condition: string, me?: string): XmlElement {
  return el(
    stanza.name,
    { type: 'error', id: stanza.attrs.id, from: stanza.attrs.to, to: me },
    el('error', { type }, el(condition, { xmlns: NS_STANZAS })),
  );
}

/**
 * One bound XMPP resource (RFC 6120 §7, RFC 6121): roster, presence and chat turned into the
 * endpoint's SIP requests, and the endpoint's notifications turned back into stanzas. Works for
 * c2s streams and BOSH alike: it only sees parsed stanzas and writes serialized ones.
 */
export class XmppSession {
  private readonly roster = new Map<string, Contact>();
  private groups = new Map<number, string>();
  private deltaNum = 0;
  private rosterLoaded = false;
  private available = false;
  private readonly seen = new Map<string, { availability?: number | null; note?: string | null }>();
  private readonly watched = new Set<string>();
  private status: string | undefined;
  /** Full or bare JIDs this resource sent directed available presence to, not yet made unavailable. */
  private readonly directed = new Set<string>();

  constructor(
    private readonly d: SessionDeps,
    readonly jid: Jid,
    readonly endpoint: SipEndpoint,
    private readonly out: StanzaSink,
  ) {}

  get aor(): string {
    return aorOfJid(this.jid);
  }

  private write(e: XmlElement): void {
    this.out.send(serialize(e));
  }

  /**
   * A stanza from the client (RFC 6120 §8). A service that cannot be reached (bus timeout, store
   * down) fails the stanza, not the stream: an iq gets `internal-server-error` of type `wait`
   * (§8.3.3.8), so the client may retry.
   */
  async handle(s: XmlElement): Promise<void> {
    try {
      switch (s.name) {
        case 'iq':
          return await this.iq(s);
        case 'presence':
          return await this.presence(s);
        case 'message':
          return await this.message(s);
        default:
          return;
      }
    } catch (e) {
      this.d.logger.warn({ err: e, user: this.aor, stanza: s.name }, 'an XMPP stanza could not be served');
      if (s.name === 'iq' && (s.attrs.type === 'get' || s.attrs.type === 'set')) this.write(stanzaError(s, 'wait', 'internal-server-error', fullJid(this.jid)));
    }
  }

  private async iq(s: XmlElement): Promise<void> {
    const type = s.attrs.type;
    if (type === 'result' || type === 'error') return;
    const payloads = children(s);
    // RFC 6120 §8.2.3: a get or set carries exactly one payload element.
    if ((type !== 'get' && type !== 'set') || payloads.length !== 1 || !s.attrs.id) return this.write(stanzaError(s, 'modify', 'bad-request', fullJid(this.jid)));
    const q = payloads[0]!;
    const to = s.attrs.to;
    const toServerOrSelf = to === undefined || to === this.jid.domain || to === bareJid(this.jid) || to === fullJid(this.jid);
    const result = (...inner: XmlElement[]) => this.write(el('iq', { type: 'result', id: s.attrs.id, to: fullJid(this.jid), from: to }, ...inner));
    if (toServerOrSelf && q.ns === NS_ROSTER) return type === 'get' ? this.rosterGet(s) : this.rosterSet(s, q);
    if (toServerOrSelf && q.ns === NS_SESSION) return result();
    if (q.ns === NS_PING && toServerOrSelf) return result();
    if (q.ns === NS_DISCO_INFO && type === 'get' && (to === undefined || to === this.jid.domain)) {
      return result(
        el(
          'query',
          { xmlns: NS_DISCO_INFO },
          el('identity', { category: 'server', type: 'im', name: 'presence-server' }),
          ...[NS_DISCO_INFO, NS_PING, NS_ROSTER].map((v) => el('feature', { var: v })),
        ),
      );
    }
    // RFC 6120 §8.4: a namespace nobody here serves.
    this.write(stanzaError(s, 'cancel', 'service-unavailable', fullJid(this.jid)));
  }

  private async loadRoster(): Promise<void> {
    if (this.rosterLoaded) return;
    const doc = await this.endpoint.contacts();
    this.rosterLoaded = true;
    if (doc?.kind !== 'list') return;
    this.deltaNum = doc.deltaNum;
    this.groups = new Map(doc.groups.map((g) => [g.id, g.name]));
    for (const c of doc.contacts) this.roster.set(c.uri.toLowerCase(), c);
  }

  /** A roster item (RFC 6121 §2.1.2) for a contact of the MS-PRES contact list ([MS-SIP] §2.2.4.1). */
  private item(c: Contact): XmlElement {
    const groups = c.groups.map((g) => this.groups.get(g)).filter((n): n is string => n !== undefined && n !== '~');
    return el('item', { jid: jidOfAor(c.uri), name: c.name || undefined, subscription: c.subscribed ? 'both' : 'none' }, ...groups.map((g) => el('group', {}, g)));
  }

  private async rosterGet(s: XmlElement): Promise<void> {
    await this.loadRoster();
    this.write(el('iq', { type: 'result', id: s.attrs.id, to: fullJid(this.jid) }, el('query', { xmlns: NS_ROSTER }, ...[...this.roster.values()].map((c) => this.item(c)))));
  }

  /** RFC 6121 §2.3 roster set → setContact / deleteContact ([MS-SIP] §3.7.4.3); the push comes back as the contacts delta. */
  private async rosterSet(s: XmlElement, q: XmlElement): Promise<void> {
    const items = children(q, 'item');
    const target = items.length === 1 ? parseJid(items[0]!.attrs.jid ?? '') : undefined;
    if (!target || target.resource !== '') return this.write(stanzaError(s, 'modify', 'bad-request', fullJid(this.jid)));
    await this.loadRoster();
    const item = items[0]!;
    const aor = aorOfJid(target);
    let status: number;
    if (item.attrs.subscription === 'remove') {
      if (!this.roster.has(aor.toLowerCase())) return this.write(stanzaError(s, 'cancel', 'item-not-found', fullJid(this.jid)));
      const sent = this.deltaNum;
      status = await this.endpoint.deleteContact(aor, sent);
      if (status === 200) {
        // The delta NOTIFY may have come first: one change raises deltaNum by one ([MS-SIP] §3.7).
        this.deltaNum = Math.max(this.deltaNum, sent + 1);
        void this.endpoint.setMember(this.d.contactContainer, 'remove', aor).catch(() => false);
        void this.unwatch(aor);
      }
    } else {
      status = await this.addContact(aor, item.attrs.name ?? '', children(item, 'group').map((g) => text(g)));
    }
    if (status !== 200) return this.write(stanzaError(s, status === 409 ? 'wait' : 'cancel', status === 409 ? 'conflict' : 'not-allowed', fullJid(this.jid)));
    this.write(el('iq', { type: 'result', id: s.attrs.id, to: fullJid(this.jid) }));
  }

  /**
   * Adds (or changes) a contact; a new contact goes into the contacts container (200, Lync's
   * "Colleagues": the view aggregation publishes there, [MS-PRES] §3.8.5.1.2.7; membership
   * §1.3.1.3.5) so they see the user, and is watched at once.
   */
  private async addContact(aor: string, name: string, groupNames: string[]): Promise<number> {
    const byName = new Map([...this.groups].map(([id, n]) => [n, id]));
    const defaultGroup = byName.get('~') ?? [...this.groups.keys()][0] ?? 1;
    const groups = [...new Set(groupNames.map((n) => byName.get(n)).filter((id): id is number => id !== undefined))];
    const existed = this.roster.has(aor.toLowerCase());
    const sent = this.deltaNum;
    const status = await this.endpoint.setContact({ uri: aor, name, groups: groups.length > 0 ? groups : [defaultGroup] }, sent);
    if (status !== 200) return status;
    this.deltaNum = Math.max(this.deltaNum, sent + 1);
    if (!existed) {
      await this.endpoint.setMember(this.d.contactContainer, 'add', aor);
      if (this.available) await this.watch([aor]);
    }
    return status;
  }

  private async watch(aors: string[]): Promise<void> {
    const fresh = aors.filter((a) => !this.watched.has(a.toLowerCase()));
    if (fresh.length === 0) return;
    for (const a of fresh) this.watched.add(a.toLowerCase());
    for (const p of await this.endpoint.categories('subscribe', fresh)) this.applyView(presentityView(p));
  }

  private async unwatch(aor: string): Promise<void> {
    if (!this.watched.delete(aor.toLowerCase())) return;
    this.seen.delete(aor.toLowerCase());
    await this.endpoint.categories('unsubscribe', [aor]);
  }

  private async presence(s: XmlElement): Promise<void> {
    const type = s.attrs.type;
    const to = s.attrs.to === undefined ? undefined : parseJid(s.attrs.to);
    if (s.attrs.to !== undefined && !to) return this.write(stanzaError(s, 'modify', 'jid-malformed', fullJid(this.jid)));
    if (to) return this.subscription(s, type, to);
    if (type === undefined) {
      // RFC 6121 §4.2: initial (or updated) presence.
      const showText = text(child(s, 'show')).trim();
      const show: Show = isShow(showText) ? showText : undefined;
      const statusEl = child(s, 'status');
      const status = statusEl ? text(statusEl).slice(0, MAX_STATUS_CHARS) : undefined;
      const { availability, activity } = availabilityOfShow(show);
      const note = status ?? (this.status !== undefined ? '' : undefined);
      this.status = status;
      await this.endpoint.publishPresence(availability, activity, note);
      if (!this.available) {
        this.available = true;
        await this.loadRoster();
        await this.watch([...this.roster.values()].filter((c) => c.subscribed).map((c) => c.uri));
        for (const key of this.seen.keys()) this.sendPresenceOf(key);
      }
      return;
    }
    if (type === 'unavailable') {
      // RFC 6121 §4.5: the resource goes offline but the stream stays.
      this.available = false;
      await this.endpoint.publishPresence(OFFLINE, undefined, undefined);
      // §4.6.3: those given directed presence learn of the unavailable too.
      await this.directedUnavailable();
    }
    // Other types without `to` are ignored (RFC 6121 §4.2.1 / §3: they need an addressee).
  }

  /** RFC 6121 §3: the subscription handshake, mapped onto the contact list and containers. */
  private async subscription(s: XmlElement, type: string | undefined, to: Jid): Promise<void> {
    const aor = aorOfJid(to);
    switch (type) {
      case 'subscribe':
        // MS-PRES has no approval step for watching: adding the contact is the subscription;
        // what is seen is decided by the contact's containers.
        await this.loadRoster();
        if (!this.roster.has(aor.toLowerCase())) await this.addContact(aor, '', []);
        else if (!this.roster.get(aor.toLowerCase())!.subscribed) await this.resubscribe(aor);
        this.write(el('presence', { from: bareJid(to), to: bareJid(this.jid), type: 'subscribed' }));
        this.sendPresenceOf(aor.toLowerCase());
        return;
      case 'subscribed':
        // Approval: the contact may see the user, through the contacts container.
        await this.endpoint.setMember(this.d.contactContainer, 'add', aor);
        return;
      case 'unsubscribed':
        await this.endpoint.setMember(this.d.contactContainer, 'remove', aor);
        return;
      case 'probe':
        this.sendPresenceOf(aor.toLowerCase());
        return;
      case 'unsubscribe':
        return this.unsubscribe(aor, to);
      case undefined:
      case 'unavailable':
        return this.directPresence(s, to, type === 'unavailable');
      default:
        return;
    }
  }

  /** A contact the user had unsubscribed from is watched again (RFC 6121 §3.1 on an existing item). */
  private async resubscribe(aor: string): Promise<void> {
    const c = this.roster.get(aor.toLowerCase())!;
    const sent = this.deltaNum;
    if ((await this.endpoint.setContact({ uri: c.uri, name: c.name, groups: c.groups, subscribed: true }, sent)) !== 200) return;
    this.deltaNum = Math.max(this.deltaNum, sent + 1);
    this.roster.set(aor.toLowerCase(), { ...c, subscribed: true });
    if (this.available) await this.watch([c.uri]);
  }

  /**
   * RFC 6121 §3.3: the user no longer wants the contact's presence. The contact stays on the list,
   * not subscribed ([MS-SIP] §2.2.4.2 setContact `subscribed`), so the roster push (from the delta)
   * says subscription `none`; the dialog stops watching them, and the contact shows unavailable
   * (§3.3.3). What the contact sees of the user is the user's containers' business, unchanged.
   */
  private async unsubscribe(aor: string, to: Jid): Promise<void> {
    await this.loadRoster();
    const c = this.roster.get(aor.toLowerCase());
    if (!c || !c.subscribed) return;
    const sent = this.deltaNum;
    const status = await this.endpoint.setContact({ uri: c.uri, name: c.name, groups: c.groups, subscribed: false }, sent);
    if (status !== 200) {
      this.d.logger.info({ user: this.aor, contact: aor, status }, 'XMPP unsubscribe refused');
      return;
    }
    this.deltaNum = Math.max(this.deltaNum, sent + 1);
    this.roster.set(aor.toLowerCase(), { ...c, subscribed: false });
    await this.unwatch(aor);
    this.write(el('presence', { from: bareJid(to), to: bareJid(this.jid), type: 'unavailable' }));
  }

  /**
   * Directed presence (RFC 6121 §4.6.2): delivered to the addressee's XMPP sessions, to one
   * resource for a full JID, whether or not they are on the roster; remembered so that the
   * user's unavailable reaches them too (§4.6.3). A user elsewhere (no s2s) gets nothing.
   */
  private async directPresence(s: XmlElement, to: Jid, unavailable: boolean): Promise<void> {
    if (!this.d.domains.includes(to.domain)) return;
    const showText = text(child(s, 'show')).trim();
    const statusEl = child(s, 'status');
    const key = fullJid(to);
    await this.endpoint.directPresence(aorOfJid(to), {
      fromResource: this.jid.resource,
      toResource: to.resource,
      unavailable,
      ...(!unavailable && isShow(showText) ? { show: showText } : {}),
      ...(statusEl ? { status: text(statusEl).slice(0, MAX_STATUS_CHARS) } : {}),
    });
    if (unavailable) this.directed.delete(key);
    else if (this.directed.has(key) || this.directed.size < MAX_DIRECTED) this.directed.add(key);
  }

  /** Unavailable to everyone given directed presence (RFC 6121 §4.6.3: broadcast unavailable, or the session ends). */
  async directedUnavailable(): Promise<void> {
    const targets = [...this.directed];
    this.directed.clear();
    await Promise.all(
      targets.map((t) => {
        const to = parseJid(t);
        return to ? this.endpoint.directPresence(aorOfJid(to), { fromResource: this.jid.resource, toResource: to.resource, unavailable: true }).catch(() => 0) : 0;
      }),
    );
  }

  private async message(s: XmlElement): Promise<void> {
    const to = parseJid(s.attrs.to ?? '');
    const body = child(s, 'body');
    if (s.attrs.type === 'error' || s.attrs.type === 'groupchat' || s.attrs.type === 'headline') return;
    if (!to) return this.write(stanzaError(s, 'modify', 'jid-malformed', fullJid(this.jid)));
    if (!body) return; // chat states and receipts without a body are not relayed
    const content = text(body);
    if (content.length > MAX_BODY_CHARS) return this.write(stanzaError(s, 'modify', 'not-acceptable', fullJid(this.jid)));
    const reply = await this.endpoint.message(aorOfJid(to), content).catch((e: unknown) => {
      this.d.logger.info({ err: e, user: this.aor }, 'page-mode message not handed on');
      return undefined;
    });
    // RFC 6121 §8.5.2.2.1: no resource took it → service-unavailable (messages are not stored).
    if (!reply || reply.status !== 200) this.write(stanzaError(s, 'cancel', 'service-unavailable', fullJid(this.jid)));
  }

  /** The user left the directory: the stream ends. */
  signOut(): void {
    this.out.close();
  }

  /** The registrar ended this session's endpoint: the stream ends (RFC 6120 §4.9.3.3 `conflict` for a replaced one). */
  endpointEnded(reason: string): void {
    if (reason === 'replaced') this.out.close('conflict', 'another endpoint of this user replaced this one');
    else this.out.close('not-authorized', `the endpoint was ended (${reason})`);
  }

  /** A directed presence (RFC 6121 §4.6) from another XMPP user for this resource; false when it names another resource. */
  deliverPresence(from: string, p: DirectedPresence): boolean {
    if (p.toResource !== '' && p.toResource !== this.jid.resource) return false;
    const sender = p.fromResource ? `${jidOfAor(from)}/${p.fromResource}` : jidOfAor(from);
    this.write(
      el(
        'presence',
        { from: sender, to: fullJid(this.jid), type: p.unavailable ? 'unavailable' : undefined },
        p.show ? el('show', {}, p.show) : undefined,
        p.status !== undefined ? el('status', {}, p.status) : undefined,
      ),
    );
    return true;
  }

  /** A page-mode message for this resource (edge `deliver-message`). */
  deliverMessage(from: string, body: string, id: string | undefined): void {
    this.write(el('message', { from: jidOfAor(from), to: fullJid(this.jid), type: 'chat', id }, el('body', {}, body)));
  }

  /** A NOTIFY/BENOTIFY the services sent to this endpoint's connection. */
  notify(headers: readonly BusHeader[], body: string): void {
    const n = readNotification(headers, body);
    if (n.event === 'presence') {
      this.applyCategories(n.contentType, n.body);
      // RFC 6665 §4.1.3: a terminated dialog; its resources are watched again where they now live.
      if (n.terminated) {
        const again = this.endpoint.categoryDialogEnded(n.callId);
        for (const r of again) this.watched.delete(r.toLowerCase());
        if (again.length > 0) void this.watch(again).catch((e: unknown) => this.d.logger.warn({ err: e, user: this.aor }, 'watching contacts again failed'));
      }
      return;
    }
    if (n.event === ROAMING_CONTACTS) return this.applyContacts(n.body);
  }

  private applyCategories(contentType: string, body: string): void {
    for (const p of parseNotifiedCategories(contentType, body)) this.applyView(presentityView(p));
  }

  private applyView(v: PresentityView): void {
    const key = v.uri.toLowerCase();
    const cur = this.seen.get(key) ?? {};
    const next = { ...cur, ...(v.availability !== undefined ? { availability: v.availability } : {}), ...(v.note !== undefined ? { note: v.note } : {}) };
    this.seen.set(key, next);
    this.sendPresenceOf(key);
  }

  /** The contact's presence (RFC 6121 §4.4.2) from what their containers let this user see. */
  private sendPresenceOf(key: string): void {
    if (!this.available) return;
    const seen = this.seen.get(key);
    if (seen?.availability === undefined) return;
    const from = jidOfAor(this.roster.get(key)?.uri ?? key);
    const shown = seen.availability === null ? ({ unavailable: true } as const) : showOfAvailability(seen.availability);
    if (shown.unavailable) {
      this.write(el('presence', { from, to: fullJid(this.jid), type: 'unavailable' }));
      return;
    }
    this.write(el('presence', { from, to: fullJid(this.jid) }, shown.show ? el('show', {}, shown.show) : undefined, seen.note ? el('status', {}, seen.note) : undefined));
  }

  /** A contacts delta ([MS-SIP] §3.7) → roster pushes (RFC 6121 §2.1.6) to this resource. */
  private applyContacts(body: string): void {
    const doc = parseContactDocument(body);
    if (!doc.ok) return;
    const d = doc.value;
    this.deltaNum = Math.max(this.deltaNum, d.deltaNum);
    const push = (item: XmlElement) => this.write(el('iq', { type: 'set', id: `push-${d.deltaNum}-${Math.random().toString(36).slice(2, 8)}`, to: fullJid(this.jid) }, el('query', { xmlns: NS_ROSTER }, item)));
    if (d.kind === 'list') {
      // A whole new list (e.g. seeded by an operator): push what differs from the roster held.
      const next = new Map(d.contacts.map((c) => [c.uri.toLowerCase(), c]));
      this.groups = new Map(d.groups.map((g) => [g.id, g.name]));
      const changed = d.contacts.filter((c) => JSON.stringify(this.roster.get(c.uri.toLowerCase())) !== JSON.stringify(c));
      const gone = [...this.roster.values()].filter((c) => !next.has(c.uri.toLowerCase()));
      this.roster.clear();
      for (const [k, c] of next) this.roster.set(k, c);
      if (!this.rosterLoaded) return;
      for (const c of changed) push(this.item(c));
      for (const c of gone) push(el('item', { jid: jidOfAor(c.uri), subscription: 'remove' }));
      if (this.available) void this.watch(changed.filter((c) => c.subscribed).map((c) => c.uri)).catch(() => undefined);
      return;
    }
    for (const c of d.upserted) {
      this.roster.set(c.uri.toLowerCase(), c);
      push(this.item(c));
      if (!c.subscribed) void this.unwatch(c.uri).catch(() => undefined);
      else if (this.available) void this.watch([c.uri]).catch(() => undefined);
    }
    for (const uri of d.deleted) {
      this.roster.delete(uri.toLowerCase());
      push(el('item', { jid: jidOfAor(uri), subscription: 'remove' }));
      void this.unwatch(uri).catch(() => undefined);
    }
  }
}
