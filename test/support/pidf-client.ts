import { getHeader, randomToken, serialize, type SipMessage, type SipRequest, type SipResponse } from '@presence/sip';
import { TestClient } from './sip-client.js';

/**
 * A standard SIP/SIMPLE client (RFC 3856 watcher, RFC 3903 publisher) over a real TCP connection:
 * no epid, no Microsoft extensions unless asked, NOTIFYs answered 200 (or `refuse` to answer 481).
 */
export class PidfClient {
  private cseq = 1;
  /** Status to answer NOTIFYs with. */
  notifyStatus = 200;

  private constructor(
    readonly sip: TestClient,
    readonly user: string,
  ) {}

  static async connect(port: number, user: string): Promise<PidfClient> {
    return new PidfClient(await TestClient.tcp(port), user);
  }

  get contact(): string {
    return `sip:${this.user.replace(/^sip:/, '').split('@')[0]}@${this.sip.local.address}:${this.sip.local.port};transport=tcp`;
  }

  /** Sends a request (From with a fresh tag unless given); headers are added as given. */
  request(method: string, o: { uri?: string; to?: string; toTag?: string; fromTag?: string; callId?: string; headers?: { name: string; value: string }[]; body?: string; displayName?: string }): Promise<SipResponse> {
    const to = o.to ?? this.user;
    const req: SipRequest = {
      type: 'request',
      method,
      uri: o.uri ?? to,
      headers: [
        { name: 'Via', value: `SIP/2.0/TCP ${this.sip.local.address}:${this.sip.local.port};branch=z9hG4bK${randomToken()}` },
        { name: 'Max-Forwards', value: '70' },
        { name: 'From', value: `${o.displayName ? `"${o.displayName}" ` : ''}<${this.user}>;tag=${o.fromTag ?? randomToken(5)}` },
        { name: 'To', value: `<${to}>${o.toTag ? `;tag=${o.toTag}` : ''}` },
        { name: 'Call-ID', value: o.callId ?? randomToken(16) },
        { name: 'CSeq', value: `${this.cseq++} ${method}` },
        ...(o.headers ?? []),
      ],
      body: Buffer.from(o.body ?? '', 'utf8'),
    };
    return this.sip.request(req);
  }

  register(): Promise<SipResponse> {
    return this.request('REGISTER', { uri: 'sip:contoso.com', headers: [{ name: 'Contact', value: `<${this.contact}>` }, { name: 'Expires', value: '3600' }] });
  }

  /** A dialog-creating SUBSCRIBE; answers the response and the dialog it made. */
  async subscribe(
    target: string,
    o: { accept?: string; event?: string; expires?: number; headers?: { name: string; value: string }[] } = {},
  ): Promise<{ res: SipResponse; dialog: Dialog }> {
    const callId = randomToken(16);
    const fromTag = randomToken(5);
    const res = await this.request('SUBSCRIBE', {
      to: target,
      callId,
      fromTag,
      headers: [
        { name: 'Contact', value: `<${this.contact}>` },
        { name: 'Event', value: o.event ?? 'presence' },
        ...(o.accept === '' ? [] : [{ name: 'Accept', value: o.accept ?? 'application/pidf+xml' }]),
        ...(o.expires !== undefined ? [{ name: 'Expires', value: String(o.expires) }] : []),
        ...(o.headers ?? []),
      ],
    });
    const toTag = /;tag=([^;]+)/.exec(getHeader(res, 'To') ?? '')?.[1] ?? '';
    return { res, dialog: { target, callId, fromTag, toTag, event: o.event ?? 'presence' } };
  }

  /** A SUBSCRIBE within `dialog` (refresh, or unsubscribe with expires 0). */
  resubscribe(dialog: Dialog, expires: number): Promise<SipResponse> {
    return this.request('SUBSCRIBE', {
      to: dialog.target,
      callId: dialog.callId,
      fromTag: dialog.fromTag,
      toTag: dialog.toTag,
      headers: [{ name: 'Contact', value: `<${this.contact}>` }, { name: 'Event', value: dialog.event }, { name: 'Expires', value: String(expires) }],
    });
  }

  /** RFC 3903 PUBLISH of a PIDF document (none: a refresh); `etag` as SIP-If-Match. */
  publish(body: string | undefined, o: { etag?: string; expires?: number; contentType?: string; event?: string } = {}): Promise<SipResponse> {
    return this.request('PUBLISH', {
      headers: [
        { name: 'Event', value: o.event ?? 'presence' },
        ...(o.etag ? [{ name: 'SIP-If-Match', value: o.etag }] : []),
        ...(o.expires !== undefined ? [{ name: 'Expires', value: String(o.expires) }] : []),
        ...(body !== undefined ? [{ name: 'Content-Type', value: o.contentType ?? 'application/pidf+xml' }] : []),
      ],
      ...(body !== undefined ? { body } : {}),
    });
  }

  /** The next NOTIFY (of `dialog`, when given), answered with {@link notifyStatus}. */
  async nextNotify(dialog?: Dialog, timeoutMs = 5000): Promise<SipRequest> {
    const m = (await this.sip.next((x: SipMessage) => x.type === 'request' && x.method === 'NOTIFY' && (!dialog || getHeader(x, 'Call-ID') === dialog.callId), timeoutMs)) as SipRequest;
    this.sip.send(
      serialize({
        type: 'response',
        status: this.notifyStatus,
        reason: this.notifyStatus === 200 ? 'OK' : 'Call/Transaction Does Not Exist',
        headers: m.headers.filter((h) => ['Via', 'From', 'To', 'Call-ID', 'CSeq'].includes(h.name)),
        body: Buffer.alloc(0),
      }),
    );
    return m;
  }

  /** NOTIFYs received and not taken yet. */
  pending(dialog?: Dialog): SipRequest[] {
    return this.sip.received.filter((x): x is SipRequest => x.type === 'request' && x.method === 'NOTIFY' && (!dialog || getHeader(x, 'Call-ID') === dialog.callId));
  }

  close(): void {
    this.sip.close();
  }
}

export interface Dialog {
  readonly target: string;
  readonly callId: string;
  readonly fromTag: string;
  readonly toTag: string;
  readonly event: string;
}

/** A PIDF document as a standard client publishes it (RFC 3863, RPID RFC 4480). */
export function pidfDoc(entity: string, basic: 'open' | 'closed', activities: string[] = [], note?: string): string {
  const acts = activities.length ? `<rpid:activities>${activities.map((a) => `<rpid:${a}/>`).join('')}</rpid:activities>` : '';
  return `<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="${entity}">
  <tuple id="t1"><status><basic>${basic}</basic></status></tuple>
  <dm:person id="p1">${acts}${note ? `<dm:note>${note}</dm:note>` : ''}</dm:person>
</presence>`;
}
