import { Socket, connect as tcpConnect } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';

export const header = (to = 'contoso.com') => `<?xml version='1.0'?><stream:stream to="${to}" xmlns="jabber:client" xmlns:stream="http://etherx.jabber.org/streams" version="1.0">`;

/** A hand-driven XMPP connection: exact bytes out, everything received kept as text. */
export class RawXmpp {
  received = '';
  closed = false;
  private waiters: (() => void)[] = [];

  private constructor(private sock: Socket | TLSSocket) {
    this.attach(sock);
  }

  private attach(s: Socket | TLSSocket): void {
    s.on('data', (d: Buffer) => {
      this.received += d.toString('utf8');
      for (const w of this.waiters.splice(0)) w();
    });
    s.on('close', () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w();
    });
    s.on('error', () => undefined);
  }

  static async open(port: number): Promise<RawXmpp> {
    const s = tcpConnect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => s.once('connect', resolve).once('error', reject));
    return new RawXmpp(s);
  }

  /** Opens a stream, negotiates STARTTLS trusting `ca`, and opens the stream again over TLS. */
  static async secure(port: number, ca: string): Promise<RawXmpp> {
    const c = await RawXmpp.open(port);
    c.write(header());
    await c.until(/<\/stream:features>/);
    c.write(`<starttls xmlns="urn:ietf:params:xml:ns:xmpp-tls"/>`);
    await c.until(/<proceed [^>]*\/>/);
    const raw = c.sock as Socket;
    raw.removeAllListeners('data');
    const secure = tlsConnect({ socket: raw, ca, servername: 'contoso.com' });
    await new Promise<void>((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
    c.sock = secure;
    c.received = '';
    c.attach(secure);
    c.write(header());
    await c.until(/<\/stream:features>/);
    return c;
  }

  /** PLAIN sign-in and resource binding on a secured stream. */
  async signIn(user: string, password: string, resource = 'raw'): Promise<void> {
    this.write(`<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="PLAIN">${Buffer.from(`\0${user}\0${password}`).toString('base64')}</auth>`);
    await this.until(/<success[^>]*\/>|<success[^>]*>[^<]*<\/success>/);
    this.received = '';
    this.write(header());
    await this.until(/<\/stream:features>/);
    this.write(`<iq type="set" id="b1"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"><resource>${resource}</resource></bind></iq>`);
    await this.until(/<\/jid><\/bind><\/iq>/);
  }

  write(s: string | Buffer): void {
    this.sock.write(s);
  }

  /** Waits until the received text matches (or the connection closes). */
  async until(re: RegExp, timeoutMs = 5000): Promise<RegExpExecArray> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const m = re.exec(this.received);
      if (m) return m;
      if (this.closed || Date.now() > end) throw new Error(`no ${re} in ${JSON.stringify(this.received.slice(-800))}${this.closed ? ' (closed)' : ''}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, end - Date.now()));
        this.waiters.push(() => (clearTimeout(t), resolve()));
      });
    }
  }

  async whenClosed(timeoutMs = 5000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    if (!this.closed) throw new Error('connection still open');
  }

  close(): void {
    this.sock.destroy();
  }
}
