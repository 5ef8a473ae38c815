import { getHeader, randomToken, serialize, type SipMessage, type SipRequest, type SipResponse } from '@presence/sip';
import { buildRequest, TestClient } from './sip-client.js';

export const ROAMING_LIST = `<roamingList xmlns="http://schemas.microsoft.com/2006/09/sip/roaming-self">
  <roaming type="categories"/>
  <roaming type="containers"/>
  <roaming type="subscribers"/>
  <roamingEx xmlns="http://schemas.microsoft.com/2007/09/sip/roaming-self-ex" type="delegates"/>
</roamingList>`;

/** A Lync-style endpoint over a real TCP connection: registers, self-subscribes, sends SERVICEs. */
export class LyncClient {
  /** The next CSeq; a client taking over another connection's dialogs sets it past theirs. */
  cseq = 1;
  selfDialog?: { callId: string; toTag: string; fromTag: string };

  private constructor(
    readonly sip: TestClient,
    readonly user: string,
    readonly epid: string,
  ) {}

  static async connect(port: number, user: string, epid = randomToken(5)): Promise<LyncClient> {
    return new LyncClient(await TestClient.tcp(port), user, epid);
  }

  request(method: string, extra: { headers?: { name: string; value: string }[]; body?: string; to?: string; uri?: string; callId?: string } = {}): Promise<SipResponse> {
    return this.sip.request(buildRequest(this.sip, { method, user: this.user, epid: this.epid, cseq: this.cseq++, ...extra }));
  }

  async register(expires?: number): Promise<SipResponse> {
    const res = await this.request('REGISTER', {
      headers: [{ name: 'Supported', value: 'gruu-10, adhoclist, msrtc-event-categories' }, ...(expires !== undefined ? [{ name: 'Expires', value: String(expires) }] : [])],
    });
    if (res.status !== 200) throw new Error(`REGISTER got ${res.status}`);
    return res;
  }

  /** Signs the endpoint out (REGISTER with Expires: 0). */
  unregister(): Promise<SipResponse> {
    return this.request('REGISTER', { headers: [{ name: 'Expires', value: '0' }] });
  }

  /**
   * Ends the category dialog as pidgin-sipe does at sign-out: `Event: presence`, `Expires: 0`, the
   * dialog's Call-ID and tags, no Accept, no body. `uri`: the Request-URI (default the user's AOR).
   */
  async unsubscribeCategories(uri?: string): Promise<SipResponse> {
    const dialog = this.categoryDialog;
    if (!dialog) throw new Error('no category dialog');
    const req = buildRequest(this.sip, {
      method: 'SUBSCRIBE',
      user: this.user,
      epid: this.epid,
      cseq: this.cseq++,
      callId: dialog.callId,
      uri: uri ?? this.user,
      headers: [
        { name: 'Contact', value: `<${this.user};opaque=user:epid:${this.epid};gruu>` },
        { name: 'Event', value: 'presence' },
        { name: 'Expires', value: '0' },
      ],
    });
    const res = await this.sip.request(this.inDialog(req, dialog.fromTag, this.user, dialog.toTag));
    if (res.status === 200) this.categoryDialog = undefined;
    return res;
  }

  service(contentType: string, body: string): Promise<SipResponse> {
    return this.request('SERVICE', { headers: [{ name: 'Content-Type', value: contentType }], body });
  }

  /** The request with this dialog's From tag and, within a dialog, the To tag. */
  private inDialog(req: SipRequest, fromTag: string, to: string, toTag: string | undefined): SipRequest {
    const headers = req.headers.map((h) => {
      if (h.name === 'From') return { name: 'From', value: `<${this.user}>;tag=${fromTag};epid=${this.epid}` };
      if (h.name === 'To' && toTag) return { name: 'To', value: `<${to}>;tag=${toTag}` };
      return h;
    });
    return { ...req, headers };
  }

  /** The dialogs of subscriptions to the user's own packages, by event (see subscribeOwn). */
  readonly ownDialogs = new Map<string, { callId: string; toTag: string; fromTag: string }>();

  /** A SUBSCRIBE on the user's own URI, within `dialog` when given; answers the response and the dialog it names. */
  private async ownRequest(
    event: string,
    accept: string,
    dialog: { callId: string; toTag: string; fromTag: string } | undefined,
    o: { expires?: number; body?: string; contentType?: string; piggyback?: boolean; benotify?: boolean },
  ): Promise<{ res: SipResponse; dialog?: { callId: string; toTag: string; fromTag: string } }> {
    const callId = dialog?.callId ?? randomToken(16);
    const fromTag = dialog?.fromTag ?? randomToken(5);
    const req = buildRequest(this.sip, {
      method: 'SUBSCRIBE',
      user: this.user,
      epid: this.epid,
      cseq: this.cseq++,
      callId,
      headers: [
        { name: 'Contact', value: `<${this.user};opaque=user:epid:${this.epid};gruu>` },
        { name: 'Event', value: event },
        { name: 'Accept', value: accept },
        ...((o.benotify ?? true) ? [{ name: 'Supported', value: 'ms-benotify' }, { name: 'Proxy-Require', value: 'ms-benotify' }] : []),
        ...((o.piggyback ?? true) ? [{ name: 'Supported', value: 'ms-piggyback-first-notify' }] : []),
        ...(o.body ? [{ name: 'Content-Type', value: o.contentType ?? accept }] : []),
        ...(o.expires !== undefined ? [{ name: 'Expires', value: String(o.expires) }] : []),
      ],
      ...(o.body ? { body: o.body } : {}),
    });
    const res = await this.sip.request(this.inDialog(req, fromTag, this.user, dialog?.toTag));
    const toTag = /;tag=([^;]+)/.exec(getHeader(res, 'To') ?? '')?.[1];
    return { res, ...(toTag ? { dialog: { callId, fromTag, toTag } } : {}) };
  }

  /**
   * SUBSCRIBE to one of the user's own packages (roaming-contacts, provisioning) as Lync-family
   * clients send them, within the package's dialog once there is one (`fresh`: a new one);
   * `Expires: 0` ends it.
   */
  async subscribeOwn(event: string, accept: string, o: { expires?: number; body?: string; contentType?: string; fresh?: boolean } = {}): Promise<SipResponse> {
    const dialog = o.fresh ? undefined : this.ownDialogs.get(event);
    const out = await this.ownRequest(event, accept, dialog, o);
    if (o.expires === 0) this.ownDialogs.delete(event);
    else if (out.res.status === 200 && !dialog && out.dialog) this.ownDialogs.set(event, out.dialog);
    return out.res;
  }

  /** Self SUBSCRIBE as in [MS-PRES] §4.4.1. */
  async selfSubscribe(o: { piggyback?: boolean; benotify?: boolean; expires?: number; body?: string } = {}): Promise<SipResponse> {
    const type = 'application/vnd-microsoft-roaming-self+xml';
    const out = await this.ownRequest('vnd-microsoft-roaming-self', type, this.selfDialog, { ...o, body: o.body ?? ROAMING_LIST });
    if (out.res.status === 200 && !this.selfDialog && o.expires !== 0) this.selfDialog = out.dialog;
    if (o.expires === 0) this.selfDialog = undefined;
    this.lastSelf = out.res;
    return out.res;
  }

  /**
   * A category SUBSCRIBE ([MS-PRES] §4.5): batch (Require: adhoclist, categoryList) unless `single`;
   * continues the last category dialog when `inDialog`.
   */
  async categorySubscribe(
    resources: { uri: string; context?: string }[],
    o: {
      categories?: string[];
      action?: 'subscribe' | 'unsubscribe';
      single?: boolean;
      to?: string;
      /** Request-URI, e.g. a pool GRUU; default the To URI. */
      requestUri?: string;
      expires?: number;
      inDialog?: boolean;
      piggyback?: boolean;
      benotify?: boolean;
      extraHeaders?: { name: string; value: string }[];
    } = {},
  ): Promise<SipResponse> {
    const cats = o.categories ?? ['calendarData', 'contactCard', 'note', 'services', 'state'];
    const body = `<batchSub xmlns="http://schemas.microsoft.com/2006/01/sip/batch-subscribe" uri="${this.user}" name=""><action name="${o.action ?? 'subscribe'}" id="1177624"><adhocList>${resources
      .map((r) => `<resource uri="${r.uri}">${r.context !== undefined ? `<context>${r.context}</context>` : ''}</resource>`)
      .join('')}</adhocList><categoryList xmlns="http://schemas.microsoft.com/2006/09/sip/categorylist">${cats.map((c) => `<category name="${c}"/>`).join('')}</categoryList></action></batchSub>`;
    const dialog = o.inDialog ? this.categoryDialog : undefined;
    const callId = dialog?.callId ?? randomToken(16);
    const fromTag = dialog?.fromTag ?? randomToken(5);
    const to = o.to ?? this.user;
    const req = buildRequest(this.sip, {
      method: 'SUBSCRIBE',
      user: this.user,
      epid: this.epid,
      cseq: this.cseq++,
      callId,
      to,
      uri: o.requestUri ?? to,
      headers: [
        { name: 'Contact', value: `<${this.user};opaque=user:epid:${this.epid};gruu>` },
        { name: 'Event', value: 'presence' },
        { name: 'Accept', value: 'application/msrtc-event-categories+xml, application/xpidf+xml, text/xml+msrtc.pidf, application/pidf+xml, application/rlmi+xml, multipart/related' },
        ...((o.benotify ?? true) ? [{ name: 'Supported', value: 'ms-benotify' }, { name: 'Proxy-Require', value: 'ms-benotify' }] : []),
        ...((o.piggyback ?? true) ? [{ name: 'Supported', value: 'ms-piggyback-first-notify' }] : []),
        ...(o.single ? [] : [{ name: 'Require', value: 'adhoclist, categoryList' }, { name: 'Supported', value: 'eventlist' }]),
        { name: 'Content-Type', value: 'application/msrtc-adrl-categorylist+xml' },
        ...(o.expires !== undefined ? [{ name: 'Expires', value: String(o.expires) }] : []),
        ...(o.extraHeaders ?? []),
      ],
      body,
    });
    const res = await this.sip.request(this.inDialog(req, fromTag, to, dialog?.toTag));
    const tag = /;tag=([^;]+)/.exec(getHeader(res, 'To') ?? '')?.[1];
    if (res.status === 200 && !dialog && tag && getHeader(res, 'Expires') !== '0') this.categoryDialog = { callId, fromTag, toTag: tag };
    return res;
  }

  categoryDialog?: { callId: string; toTag: string; fromTag: string };

  /** The next NOTIFY or BENOTIFY on this connection (NOTIFYs are answered 200). */
  async nextNotify(timeoutMs = 5000, match: (m: SipRequest) => boolean = () => true): Promise<SipRequest> {
    const m = (await this.sip.next((x: SipMessage) => x.type === 'request' && (x.method === 'NOTIFY' || x.method === 'BENOTIFY') && match(x), timeoutMs)) as SipRequest;
    if (m.method === 'NOTIFY') {
      this.sip.send(
        serialize({
          type: 'response',
          status: 200,
          reason: 'OK',
          headers: m.headers.filter((h) => ['Via', 'From', 'To', 'Call-ID', 'CSeq'].includes(h.name)),
          body: Buffer.alloc(0),
        }),
      );
    }
    return m;
  }

  /** Notifications that arrived and were not taken yet. */
  pendingNotifies(): SipRequest[] {
    return this.sip.received.filter((x): x is SipRequest => x.type === 'request' && (x.method === 'NOTIFY' || x.method === 'BENOTIFY'));
  }

  /** The last self SUBSCRIBE's 200 (kept by selfSubscribe). */
  sipLast(): { body: Buffer } {
    return this.lastSelf ?? { body: Buffer.alloc(0) };
  }

  private lastSelf?: SipResponse;

  close(): void {
    this.sip.close();
  }
}
