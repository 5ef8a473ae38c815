import { SaslError } from './errors.js';
import type { SaslCredentials } from './credentials.js';
import { readClientFirst, ScramServer, type ScramHash } from './scram.js';

export const NS_SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';

/** Mechanisms offered: SCRAM always, PLAIN only on an encrypted stream (RFC 6120 §13.8, §6.3.3). */
export function mechanisms(encrypted: boolean): string[] {
  return ['SCRAM-SHA-256', 'SCRAM-SHA-1', ...(encrypted ? ['PLAIN'] : [])];
}

/** The next step of an exchange: a challenge to send, or success with the signed-in user and additional data. */
export type SaslStep = { readonly challenge: Buffer } | { readonly user: string; readonly additional?: Buffer };

/** The user of a SASL authcid: `alice` or `alice@contoso.com`, on the stream's domain. */
function aorOf(authcid: string, domain: string): string | undefined {
  const at = authcid.lastIndexOf('@');
  const local = at < 0 ? authcid : authcid.slice(0, at);
  const host = at < 0 ? domain : authcid.slice(at + 1).toLowerCase();
  if (host !== domain || local === '' || /[\s@:<>"]/.test(local)) return undefined;
  return `sip:${local}@${domain}`;
}

/** One SASL negotiation (RFC 6120 §6.4) with one mechanism. */
export class SaslExchange {
  private scram: ScramServer | undefined;
  private user: string | undefined;

  /** The user this exchange is about, once the client has named one (for failure counting). */
  get attempted(): string | undefined {
    return this.user;
  }

  constructor(
    private readonly creds: SaslCredentials,
    private readonly domain: string,
    readonly mechanism: string,
  ) {}

  async start(initial: Buffer): Promise<SaslStep> {
    if (this.mechanism === 'PLAIN') {
      // RFC 4616 §2: [authzid] NUL authcid NUL passwd.
      const parts = initial.toString('utf8').split('\u0000');
      if (parts.length !== 3) throw new SaslError('malformed-request', 'PLAIN needs authzid NUL authcid NUL password');
      const [authzid, authcid, password] = parts as [string, string, string];
      const aor = aorOf(authcid, this.domain);
      this.user = aor;
      if (authzid !== '' && authzid !== authcid && (aor === undefined || aorOf(authzid, this.domain) !== aor)) throw new SaslError('invalid-authzid', 'acting for another user is not allowed');
      if (!aor || !(await this.creds.checkPassword(aor, password))) throw new SaslError('not-authorized', 'bad credentials');
      return { user: aor };
    }
    const h: ScramHash | undefined = this.mechanism === 'SCRAM-SHA-1' ? 'SHA-1' : this.mechanism === 'SCRAM-SHA-256' ? 'SHA-256' : undefined;
    if (!h) throw new SaslError('invalid-mechanism', `unsupported mechanism ${this.mechanism}`);
    const first = readClientFirst(initial.toString('utf8'));
    const aor = aorOf(first.username, this.domain);
    const creds = aor ? await this.creds.scram(aor, h) : undefined;
    this.user = aor;
    this.scram = new ScramServer(h, creds);
    return { challenge: Buffer.from(this.scram.first(first, this.creds.fakeSalt(first.username)), 'utf8') };
  }

  async respond(data: Buffer): Promise<SaslStep> {
    if (!this.scram || !this.user) throw new SaslError('malformed-request', 'no exchange in progress');
    const v = this.scram.final(data.toString('utf8'));
    const user = this.user;
    this.scram = undefined;
    return { user, additional: Buffer.from(v, 'utf8') };
  }
}

/** Decodes SASL data (RFC 6120 §6.4.2: base64, `=` alone for empty). */
export function decodeSasl(s: string): Buffer {
  const t = s.trim();
  if (t === '' || t === '=') return Buffer.alloc(0);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(t) || t.length % 4 !== 0) throw new SaslError('incorrect-encoding', 'not base64');
  return Buffer.from(t, 'base64');
}

export function encodeSasl(b: Buffer | undefined): string {
  return b && b.length > 0 ? b.toString('base64') : '=';
}
