import type { EdgeSendRequest } from '@presence/bus';
import { parseNotifiedCategories } from '@presence/documents';
import type { Logger } from '@presence/telemetry';
import { readNotification, ROAMING_CONTACTS, type CategoryWatch, type SubscriptionDialog } from '@presence/gateway';
import type { WebEndpoint } from './endpoint.js';
import type { ContactsReader } from './contacts.js';
import type { Sessions, StreamEvent } from './sessions.js';
import { CategoryCache, presenceView, type PresenceView } from './views.js';
import { newId } from './tokens.js';

/** Lifetime asked for the stream's dialogs; they are refreshed at half of it. */
const DIALOG_EXPIRES_S = 3600;

/** One open live stream: a watcher endpoint connection of a session on this instance. */
interface Stream {
  readonly user: string;
  readonly sessionId: string;
  readonly epid: string;
  readonly connectionId: string;
  readonly write: (e: StreamEvent) => void;
  /** Ends the HTTP response (shutdown): the browser reconnects, to another instance if need be. */
  readonly end: () => void;
  readonly cache: CategoryCache;
  told: Record<string, unknown>;
  watched: Set<string>;
  /** The category dialog at each pool the contacts are homed in. */
  readonly dialogs: CategoryWatch;
  contactsDialog?: SubscriptionDialog;
  refresh?: NodeJS.Timeout;
  /** Set once the snapshot or replay is written: changes before that only update the cache. */
  ready: boolean;
  closed: boolean;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The live streams this instance holds and the notifications for them. Each stream is a
 * connection of the session's web endpoint: it subscribes to the contacts' categories and to the
 * contact list with this instance as edge, so the services' NOTIFY/BENOTIFY for it arrive here
 * (`edgeSend`/`edgeSendBatch`) whichever instance the change was made through.
 */
export class LiveStreams {
  private readonly streams = new Map<string, Stream>();
  private readonly perUser = new Map<string, number>();

  private readonly checker: NodeJS.Timeout;

  constructor(
    private readonly o: { endpoint: WebEndpoint; sessions: Sessions; contacts: ContactsReader; logger: Logger; maxPerUser: number; checkMs: number; keepAliveMs: number },
  ) {
    // A session can end on another instance (sign-out there, expiry swept there): the services end
    // its dialogs without telling anyone (the endpoint is gone), so each stream checks its session.
    this.checker = setInterval(() => void this.checkSessions(), o.checkMs);
    this.checker.unref();
  }

  private async checkSessions(): Promise<void> {
    for (const s of [...this.streams.values()]) {
      const alive = await this.o.sessions.get(s.user, s.sessionId).catch(() => 'unknown' as const);
      if (alive === undefined || (alive !== 'unknown' && alive.session.signedOut)) {
        s.end();
        await this.close(s);
      }
    }
  }

  get size(): number {
    return this.streams.size;
  }

  canOpen(user: string): boolean {
    return (this.perUser.get(user) ?? 0) < this.o.maxPerUser;
  }

  /**
   * Opens a stream: subscribes, then writes a snapshot (no or unknown `lastEventId`) or replays the
   * session's logged events after `lastEventId` and what changed since ([WHATWG SSE] Last-Event-ID).
   */
  async open(user: string, sessionId: string, epid: string, lastEventId: number | undefined, write: (e: StreamEvent) => void, end: () => void = () => undefined): Promise<() => Promise<void>> {
    const connectionId = `s-${newId(9)}`;
    const dialogs = this.o.endpoint.watch({ user, epid, connectionId }, DIALOG_EXPIRES_S);
    const s: Stream = { user, sessionId, epid, connectionId, write, end, cache: new CategoryCache(), told: {}, watched: new Set(), dialogs, ready: false, closed: false };
    this.streams.set(s.connectionId, s);
    this.perUser.set(user, (this.perUser.get(user) ?? 0) + 1);
    const sender = { user, epid, connectionId: s.connectionId };
    try {
      const cur = await this.o.sessions.get(user, sessionId);
      const log = cur?.session.log ?? [];
      const resumable = lastEventId !== undefined && log.some((e) => e.id === lastEventId);
      const contacts = await this.o.contacts.read(user);
      s.watched = new Set(contacts.contacts.map((c) => c.uri));
      const contactsSub = await this.o.endpoint.subscribeContacts(sender, DIALOG_EXPIRES_S);
      if (contactsSub.dialog) s.contactsDialog = contactsSub.dialog;
      const views = new Map<string, PresenceView>();
      for (const uri of s.watched) views.set(uri, presenceView(uri, []));
      for (const p of await this.subscribe(s, s.watched)) views.set(p.uri, p);
      if (resumable) {
        for (const e of log.filter((e) => e.id > lastEventId)) write(e);
        s.told = { ...(cur?.session.views ?? {}) };
        await this.tell(s, [...views.values()]);
      } else {
        const data = { user, groups: contacts.groups, contacts: contacts.contacts.map((c) => ({ ...c, presence: views.get(c.uri) })) };
        const [e] = await this.o.sessions.record(user, sessionId, [{ event: 'snapshot', data }]);
        s.told = Object.fromEntries([...views].map(([k, v]) => [k, v]));
        await this.rememberViews(s);
        if (e) write(e);
      }
      // What changed while the stream was being set up, after what it was told.
      s.ready = true;
      await this.tell(s, [...s.watched].map((u) => presenceView(u, s.cache.current(u))));
      // An open stream keeps the endpoint registered and its dialogs alive.
      s.refresh = setInterval(() => void this.refreshDialogs(s), Math.min((DIALOG_EXPIRES_S / 2) * 1000, this.o.keepAliveMs));
      s.refresh.unref();
    } catch (e) {
      await this.close(s);
      throw e;
    }
    return () => this.close(s);
  }

  /** Subscribes to `uris` at each pool they are homed in, within the stream's dialog there when it has one. */
  private async subscribe(s: Stream, uris: Iterable<string>): Promise<PresenceView[]> {
    return (await s.dialogs.change('subscribe', uris)).map((p) => presenceView(p.uri, s.cache.apply(p.uri, p.categories)));
  }

  /** Takes contacts off the stream's dialogs ([MS-PRES] §3.4.5.1.1: a batch action `unsubscribe`). */
  private async unwatch(s: Stream, uris: readonly string[]): Promise<void> {
    await s.dialogs.change('unsubscribe', uris);
    for (const u of uris) delete s.told[u];
  }

  private async rememberViews(s: Stream): Promise<void> {
    await this.o.sessions.record(
      s.user,
      s.sessionId,
      Object.entries(s.told).map(([uri, value]) => ({ event: '', data: null, view: { uri, value } })),
    ).catch(() => undefined);
  }

  /** Writes a `presence` event for each view that differs from what the browser was last told. */
  private async tell(s: Stream, views: readonly PresenceView[]): Promise<void> {
    // One view per user (the last), then only what differs from what the browser was told.
    const latest = new Map(views.map((v) => [v.uri, v]));
    const changed = [...latest.values()].filter((v) => s.watched.has(v.uri) && !same(s.told[v.uri], v));
    if (changed.length === 0 || s.closed) return;
    for (const v of changed) s.told[v.uri] = v;
    const events = await this.o.sessions.record(s.user, s.sessionId, changed.map((v) => ({ event: 'presence', data: v, view: { uri: v.uri, value: v } })));
    for (const e of events) s.write(e);
  }

  private async refreshDialogs(s: Stream): Promise<void> {
    const sender = { user: s.user, epid: s.epid, connectionId: s.connectionId };
    try {
      const cur = await this.o.sessions.get(s.user, s.sessionId);
      if (!cur || cur.session.signedOut) {
        s.end();
        return await this.close(s);
      }
      if ((await this.o.sessions.keepEndpoint(s.user, cur.session)) === 'registered') {
        // The endpoint had ended, and the services ended its dialogs with it: start them again.
        s.dialogs.forget();
        delete s.contactsDialog;
      }
      await this.tell(s, await this.subscribe(s, s.watched));
      const contactsSub = await this.o.endpoint.subscribeContacts(sender, DIALOG_EXPIRES_S, s.contactsDialog);
      if (!s.contactsDialog && contactsSub.dialog) s.contactsDialog = contactsSub.dialog;
    } catch (e) {
      this.o.logger.warn({ err: e, user: s.user }, 'refreshing a web stream’s subscriptions failed');
    }
  }

  private async close(s: Stream): Promise<void> {
    if (s.closed) return;
    s.closed = true;
    clearInterval(s.refresh);
    this.streams.delete(s.connectionId);
    const n = (this.perUser.get(s.user) ?? 1) - 1;
    if (n <= 0) this.perUser.delete(s.user);
    else this.perUser.set(s.user, n);
    const sender = { user: s.user, epid: s.epid, connectionId: s.connectionId };
    await s.dialogs.close();
    if (s.contactsDialog) await this.o.endpoint.unsubscribeContacts(sender, s.contactsDialog);
  }

  /** Ends every stream of a session (sign-out, expiry). */
  async closeSession(sessionId: string): Promise<void> {
    const ended = [...this.streams.values()].filter((s) => s.sessionId === sessionId);
    for (const s of ended) s.end();
    await Promise.all(ended.map((s) => this.close(s)));
  }

  async closeAll(): Promise<void> {
    clearInterval(this.checker);
    const all = [...this.streams.values()];
    for (const s of all) s.end();
    await Promise.all(all.map((s) => this.close(s)));
  }

  /** `edgeSend` for this instance: a NOTIFY/BENOTIFY for one of its streams; false when that stream is gone (a 481). */
  deliverNotification(req: EdgeSendRequest): boolean {
    const s = this.streams.get(req.connectionId);
    if (!s) return false;
    void this.deliver(s, req.headers, req.body).catch((e: unknown) => this.o.logger.warn({ err: e }, 'a notification for a web stream failed'));
    return true;
  }

  private async deliver(s: Stream, headers: EdgeSendRequest['headers'], body: string): Promise<void> {
    const n = readNotification(headers, body);
    // RFC 6665 §4.4.1: the service ended a dialog of this stream (the session's endpoint ended, the
    // user moved pool): end the stream; the browser reconnects and starts over, or learns it is signed out.
    if (n.terminated) {
      s.end();
      return this.close(s);
    }
    if (n.event === ROAMING_CONTACTS) return this.contactsChanged(s);
    if (n.event !== 'presence') return;
    const views = parseNotifiedCategories(n.contentType, n.body).map((p) => presenceView(p.uri, s.cache.apply(p.uri, p.categories)));
    if (s.ready) await this.tell(s, views);
  }

  /** The contact list changed (any endpoint, any instance): watch the new contacts, tell the browser the list. */
  private async contactsChanged(s: Stream): Promise<void> {
    const list = await this.o.contacts.read(s.user);
    const uris = new Set(list.contacts.map((c) => c.uri));
    const added = [...uris].filter((u) => !s.watched.has(u));
    const removed = [...s.watched].filter((u) => !uris.has(u));
    s.watched = uris;
    if (removed.length > 0) await this.unwatch(s, removed);
    const events = await this.o.sessions.record(s.user, s.sessionId, [{ event: 'contacts', data: { groups: list.groups, contacts: list.contacts } }]);
    for (const e of events) s.write(e);
    if (added.length > 0 && !s.closed) {
      // Within the stream's dialog at the contacts' pool when it has one; the first contacts there start one.
      const views = added.map((u) => presenceView(u, []));
      views.push(...(await this.subscribe(s, added)));
      await this.tell(s, views);
    }
  }
}
