import dgram from 'node:dgram';
import net from 'node:net';
import tls from 'node:tls';
import {
  digestResponse,
  getHeader,
  getHeaders,
  parseMessage,
  parseParams,
  param,
  randomToken,
  serialize,
  SipFramer,
  type DigestAlgorithm,
  type SipHeader,
  type SipMessage,
  type SipRequest,
  type SipResponse,
} from '@presence/sip';

/** A SIP client over a real socket, for tests: sends requests, collects whatever the server sends. */
export class TestClient {
  readonly received: SipMessage[] = [];
  private waiters: { match: (m: SipMessage) => boolean; resolve: (m: SipMessage) => void }[] = [];
  closed = false;
  readonly local: { address: string; port: number };

  private constructor(
    readonly transport: 'udp' | 'tcp' | 'tls',
    private readonly write: (b: Buffer) => void,
    private readonly end: () => void,
    local: { address: string; port: number },
  ) {
    this.local = local;
  }

  static async tcp(port: number): Promise<TestClient> {
    const s = net.connect({ host: '127.0.0.1', port });
    await new Promise((r, j) => s.once('connect', r).once('error', j));
    return TestClient.stream('tcp', s);
  }

  static async tls(port: number, ca: string): Promise<TestClient> {
    const s = tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost' });
    await new Promise((r, j) => s.once('secureConnect', r).once('error', j));
    return TestClient.stream('tls', s);
  }

  private static stream(transport: 'tcp' | 'tls', s: net.Socket): TestClient {
    const framer = new SipFramer();
    const c = new TestClient(transport, (b) => s.write(b), () => s.destroy(), { address: s.localAddress!, port: s.localPort! });
    s.on('data', (d: Buffer) => {
      for (const e of framer.push(d)) if (e.type === 'message') c.deliver(e.bytes);
    });
    s.on('close', () => (c.closed = true));
    s.on('error', () => undefined);
    return c;
  }

  static async udp(port: number): Promise<TestClient> {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    const c = new TestClient('udp', (b) => s.send(b, port, '127.0.0.1'), () => s.close(), { address: '127.0.0.1', port: s.address().port });
    s.on('message', (m) => c.deliver(m));
    return c;
  }

  private deliver(bytes: Buffer): void {
    const r = parseMessage(bytes, { datagram: this.transport === 'udp' });
    if (!r.ok) throw new Error(`server sent an unparseable message: ${r.error.message}\n${bytes.toString()}`);
    this.received.push(r.value);
    for (const w of this.waiters.slice()) {
      if (w.match(r.value)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(r.value);
        return;
      }
    }
  }

  send(bytes: Buffer): void {
    this.write(bytes);
  }

  /** Resolves with the next message (already received or still to come) that `match`es. */
  next(match: (m: SipMessage) => boolean, timeoutMs = 5000): Promise<SipMessage> {
    const i = this.received.findIndex(match);
    if (i >= 0) return Promise.resolve(this.received.splice(i, 1)[0]!);
    return new Promise((resolve, reject) => {
      const w = {
        match,
        resolve: (m: SipMessage) => {
          clearTimeout(t);
          this.received.splice(this.received.indexOf(m), 1);
          resolve(m);
        },
      };
      const t = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error('no matching message in time'));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  /** Sends `req` and waits for its final response (same Call-ID and CSeq). */
  async request(req: SipRequest, timeoutMs = 5000): Promise<SipResponse> {
    this.send(serialize(req));
    const callId = getHeader(req, 'Call-ID');
    const cseq = getHeader(req, 'CSeq');
    return (await this.next((m) => m.type === 'response' && m.status >= 200 && getHeader(m, 'Call-ID') === callId && getHeader(m, 'CSeq') === cseq, timeoutMs)) as SipResponse;
  }

  close(): void {
    this.end();
  }
}

export interface RequestSpec {
  method: string;
  uri?: string;
  user?: string;
  to?: string;
  epid?: string;
  callId?: string;
  cseq?: number;
  branch?: string;
  headers?: SipHeader[];
  body?: string;
}

/** Builds a request as a Lync-style client sends it ([MS-PRES] §4.2.1 shape). */
export function buildRequest(c: TestClient, s: RequestSpec): SipRequest {
  const user = s.user ?? 'sip:alice@contoso.com';
  return {
    type: 'request',
    method: s.method,
    uri: s.uri ?? (s.method === 'REGISTER' ? 'sip:contoso.com' : user),
    headers: [
      { name: 'Via', value: `SIP/2.0/${c.transport.toUpperCase()} ${c.local.address}:${c.local.port};branch=${s.branch ?? `z9hG4bK${randomToken()}`}` },
      { name: 'Max-Forwards', value: '70' },
      { name: 'From', value: `<${user}>;tag=${randomToken(5)};epid=${s.epid ?? 'a1b2c3d4e5'}` },
      { name: 'To', value: `<${s.to ?? user}>` },
      { name: 'Call-ID', value: s.callId ?? randomToken(16) },
      { name: 'CSeq', value: `${s.cseq ?? 1} ${s.method}` },
      ...(s.method === 'REGISTER' ? [{ name: 'Contact', value: `<sip:${c.local.address}:${c.local.port};transport=${c.transport}>;methods="INVITE, MESSAGE, INFO, SUBSCRIBE, OPTIONS, BYE, CANCEL, NOTIFY, ACK, REFER, BENOTIFY";proxy=replace;+sip.instance="<urn:uuid:9b2b7e1c-5c5f-5b8f-9a7b-1c1d1e1f2a2b>"` }] : []),
      ...(s.headers ?? []),
    ],
    body: Buffer.from(s.body ?? '', 'utf8'),
  };
}

/** Answers a 401 with digest credentials (RFC 7616), using the challenge for `algorithm`. */
export function authorize(req: SipRequest, challenge: SipResponse, username: string, password: string, algorithm: DigestAlgorithm = 'SHA-256', nc = 1): SipRequest {
  const header = getHeaders(challenge, 'WWW-Authenticate').find((h) => new RegExp(`algorithm=${algorithm}\\b`).test(h));
  if (!header) throw new Error(`no ${algorithm} challenge`);
  const p = parseParams(header.replace(/^Digest\s+/, ''), ',');
  const cred = {
    username,
    realm: param(p, 'realm')!,
    nonce: param(p, 'nonce')!,
    uri: req.uri,
    algorithm,
    qop: 'auth',
    nc: nc.toString(16).padStart(8, '0'),
    cnonce: randomToken(8),
    opaque: param(p, 'opaque')!,
  };
  const response = digestResponse(cred, req.method, password);
  const value = `Digest username="${username}", realm="${cred.realm}", nonce="${cred.nonce}", uri="${cred.uri}", response="${response}", algorithm=${algorithm}, qop=auth, nc=${cred.nc}, cnonce="${cred.cnonce}", opaque="${cred.opaque}"`;
  const cseq = getHeader(req, 'CSeq')!.split(' ');
  return {
    ...req,
    headers: [
      ...req.headers.map((h) => (h.name === 'CSeq' ? { name: 'CSeq', value: `${Number(cseq[0]) + 1} ${cseq[1]}` } : h.name === 'Via' ? { name: 'Via', value: h.value.replace(/branch=[^;]+/, `branch=z9hG4bK${randomToken()}`) } : h)),
      { name: 'Authorization', value },
    ],
  };
}
