import { randomBytes } from 'node:crypto';
import type { Logger } from '@presence/telemetry';
import { SaslError, XmppStreamError, type StreamErrorCondition } from './errors.js';
import { featuresFor, NS_BIND, NS_STREAMS_ERR, NS_TLS, type Phase } from './features.js';
import type { SessionHub } from './hub.js';
import { NS_STREAM, StreamParser, type StreamLimits } from './stream-parser.js';
import { decodeSasl, encodeSasl, NS_SASL, SaslExchange } from './sasl.js';
import type { FailureThrottle } from '@presence/sip-edge';
import type { SaslCredentials } from './credentials.js';
import type { XmppSession } from './session.js';
import { TokenBucket } from './token-bucket.js';
import { child, el, escapeXml, serialize, text, type XmlElement } from './xml.js';

/** The byte side of a client connection, given by the transport. */
export interface Wire {
  readonly id: string;
  /** `address:port`, for logs. */
  readonly remote: string;
  /** The source address failed sign-ins are counted by. */
  readonly ip: string;
  write(s: string): void;
  /** Switches the connection to TLS as server (RFC 6120 §5.4.3.3), after `<proceed/>` went out. */
  startTls(): void;
  end(): void;
}

export interface C2sOptions {
  readonly domains: readonly string[];
  readonly hub: SessionHub;
  readonly credentials: SaslCredentials;
  readonly limits: StreamLimits;
  readonly authTimeoutMs: number;
  readonly stanzasPerSecond: number;
  readonly stanzaBurst: number;
  /** SASL attempts one stream may fail before it ends (RFC 6120 §6.4.5: 2 to 5). */
  readonly maxAuthFailures: number;
  /** The SIP edge's failed-sign-in window (issue 12 item 5), shared by c2s and BOSH. */
  readonly throttle: FailureThrottle;
  readonly logger: Logger;
  /**
   * XEP-0206: the stream runs inside BOSH bodies. No stream header or close tag is written, TLS
   * is the HTTP layer's (the stream starts after it, SCRAM only: PLAIN needs TLS this edge sees).
   */
  readonly bosh?: boolean;
}

const MAX_QUEUED = 64;
const NS_CLIENT = 'jabber:client';

/**
 * One client-to-server stream over one connection (RFC 6120): STARTTLS (required), SASL, resource
 * binding, then stanzas to the bound session. Stanzas are handled one after the other, in order;
 * a stream error ends the connection and leaves every other session alone.
 */
export class C2sStream {
  private phase: Phase = 'plain';
  private parser: StreamParser;
  private headerSent = false;
  private domain: string | undefined;
  private work: Promise<void> = Promise.resolve();
  private queued = 0;
  private closed = false;
  private draining = false;
  private sasl: SaslExchange | undefined;
  private authFailures = 0;
  private user: string | undefined;
  private session: XmppSession | undefined;
  private readonly authTimer: NodeJS.Timeout;
  private readonly bucket: TokenBucket;

  constructor(
    private readonly wire: Wire,
    private readonly o: C2sOptions,
  ) {
    this.parser = this.newParser();
    if (o.bosh) this.phase = 'encrypted';
    this.bucket = new TokenBucket(o.stanzaBurst, o.stanzasPerSecond);
    this.authTimer = setTimeout(() => this.fail('connection-timeout', 'not signed in in time'), o.authTimeoutMs);
    this.authTimer.unref();
  }

  private newParser(): StreamParser {
    return new StreamParser(
      {
        streamStart: (attrs, ns) => this.streamStart(attrs, ns),
        element: (e) => this.enqueue(e),
        streamEnd: () => this.close(true),
      },
      this.o.limits,
    );
  }

  /** Bytes from the connection (plain or decrypted). */
  data(chunk: Buffer): void {
    if (this.closed) return;
    try {
      this.parser.write(chunk);
    } catch (e) {
      if (e instanceof XmppStreamError) this.fail(e.condition, e.message);
      else this.fail('internal-server-error', 'unexpected error');
    }
  }

  /** The connection idled out (transport timer). */
  idle(): void {
    this.fail('connection-timeout', 'idle');
  }

  /** The connection closed under us. */
  gone(): void {
    void this.close(false);
  }

  private send(s: string): void {
    if (!this.closed) this.wire.write(s);
  }

  private header(): void {
    if (this.headerSent || this.o.bosh) return;
    this.headerSent = true;
    const from = this.domain ?? this.o.domains[0]!;
    this.send(`<?xml version='1.0'?><stream:stream xmlns="${NS_CLIENT}" xmlns:stream="${NS_STREAM}" id="${randomBytes(9).toString('base64url')}" from="${escapeXml(from)}" version="1.0" xml:lang="en">`);
  }

  /** BOSH: the session request or a restart request opened the stream (XEP-0206 §5). */
  open(attrs: Record<string, string>): void {
    this.streamStart(attrs, NS_CLIENT);
  }

  /** BOSH: one element of a request body. */
  element(e: XmlElement): void {
    if (!this.closed) this.enqueue(e);
  }

  /** Resolves when every element handed in so far has been handled. */
  settled(): Promise<void> {
    return this.work;
  }

  private streamStart(attrs: Record<string, string>, ns: string): void {
    const to = (attrs.to ?? '').toLowerCase();
    if (this.domain === undefined && this.o.domains.includes(to)) this.domain = to;
    this.header();
    // RFC 6120 §4.9.3.6: a domain this server does not serve; §4.8.2: the content namespace.
    if (!this.o.domains.includes(to) || (this.domain !== undefined && to !== this.domain)) return this.fail('host-unknown', `${to} is not served here`);
    if (ns !== NS_CLIENT) return this.fail('invalid-namespace', 'the content namespace must be jabber:client');
    if (attrs.version !== '1.0') return this.fail('unsupported-version', 'version 1.0 is required');
    this.send(serialize(featuresFor(this.phase, this.phase !== 'plain' && !this.o.bosh)));
  }

  private enqueue(e: XmlElement): void {
    if (this.draining) return;
    if (this.phase === 'bound' && !this.bucket.take()) {
      // The stanzas taken before the limit are still served, in order; nothing after it is.
      this.draining = true;
      this.work = this.work.then(() => this.fail('policy-violation', 'too many stanzas'));
      return;
    }
    if (++this.queued > MAX_QUEUED) return this.fail('resource-constraint', 'too many stanzas waiting');
    this.work = this.work
      .then(() => (this.closed ? undefined : this.handle(e)))
      .catch((err: unknown) => {
        this.o.logger.warn({ err, connection: this.wire.id }, 'XMPP stanza handling failed');
        this.fail('internal-server-error', 'internal error');
      })
      .finally(() => this.queued--);
  }

  private async handle(e: XmlElement): Promise<void> {
    switch (this.phase) {
      case 'plain':
        if (e.name === 'starttls' && e.ns === NS_TLS) {
          this.send(serialize(el('proceed', { xmlns: NS_TLS })));
          this.restart('encrypted');
          this.wire.startTls();
          return;
        }
        // RFC 6120 §5.3.1: TLS is mandatory-to-negotiate here.
        return this.fail('policy-violation', 'STARTTLS is required first');
      case 'encrypted':
        return this.saslElement(e);
      case 'authenticated':
        return this.bindElement(e);
      case 'bound':
        if (!['iq', 'presence', 'message'].includes(e.name) || e.ns !== NS_CLIENT) return this.fail('unsupported-stanza-type', `<${e.name}> is not a stanza`);
        return this.session!.handle(e);
    }
  }

  /** RFC 6120 §4.3.3: after TLS and after SASL the stream starts again, with a new parser. */
  private restart(next: Phase): void {
    this.phase = next;
    this.headerSent = false;
    this.parser = this.newParser();
  }

  private async saslElement(e: XmlElement): Promise<void> {
    if (e.ns !== NS_SASL) return this.fail('not-authorized', 'authenticate first');
    const failure = (condition: string) => this.send(serialize(el('failure', { xmlns: NS_SASL }, el(condition))));
    try {
      let step;
      if (e.name === 'auth') {
        const mech = e.attrs.mechanism ?? '';
        if (!['SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN'].includes(mech)) return failure('invalid-mechanism');
        if (mech === 'PLAIN' && this.o.bosh) return failure('mechanism-too-weak');
        if (this.o.throttle.retryAfterMs(this.wire.ip, undefined) > 0) throw new SaslError('temporary-auth-failure', 'too many failed attempts from this address');
        this.sasl = new SaslExchange(this.o.credentials, this.domain!, mech);
        step = await this.sasl.start(decodeSasl(text(e)));
      } else if (e.name === 'response' && this.sasl) {
        step = await this.sasl.respond(decodeSasl(text(e)));
      } else if (e.name === 'abort') {
        this.sasl = undefined;
        return failure('aborted');
      } else {
        return this.fail('not-authorized', 'unexpected SASL element');
      }
      if ('challenge' in step) return this.send(serialize(el('challenge', { xmlns: NS_SASL }, encodeSasl(step.challenge))));
      // Past the failure limit even the right password is refused (issue 12 item 5's rule).
      if (this.o.throttle.retryAfterMs(this.wire.ip, step.user) > 0) throw new SaslError('temporary-auth-failure', 'too many failed attempts for this user');
      this.sasl = undefined;
      this.user = step.user;
      this.send(serialize(el('success', { xmlns: NS_SASL }, step.additional ? encodeSasl(step.additional) : undefined)));
      this.restart('authenticated');
    } catch (err) {
      if (!(err instanceof SaslError)) throw err;
      const user = this.sasl?.attempted;
      this.sasl = undefined;
      if (err.condition !== 'temporary-auth-failure') this.o.throttle.failed(this.wire.ip, user);
      this.o.logger.info({ source: this.wire.remote, user, reason: err.message, transport: 'xmpp' }, 'XMPP authentication failed');
      failure(err.condition);
      // RFC 6120 §6.4.5: a bounded number of retries, then the stream ends.
      if (++this.authFailures >= this.o.maxAuthFailures) this.fail('policy-violation', 'too many failed authentication attempts');
    }
  }

  private async bindElement(e: XmlElement): Promise<void> {
    const bind = e.name === 'iq' && e.attrs.type === 'set' ? child(e, 'bind', NS_BIND) : undefined;
    if (!bind || !e.attrs.id) return this.fail('not-authorized', 'bind a resource first');
    const [local, domain] = this.user!.replace(/^sip:/, '').split('@') as [string, string];
    const session = await this.o.hub.bind({ local, domain }, text(child(bind, 'resource')).trim(), this.wire.id, { send: (s) => this.send(s), close: (condition = 'not-authorized', message = 'the account is no longer enabled') => this.fail(condition, message) });
    if (!session) {
      // RFC 6120 §7.6.2.1: the account has reached its limit of resources.
      return this.send(serialize(el('iq', { type: 'error', id: e.attrs.id }, el('error', { type: 'wait' }, el('resource-constraint', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' })))));
    }
    this.session = session;
    this.phase = 'bound';
    clearTimeout(this.authTimer);
    this.send(serialize(el('iq', { type: 'result', id: e.attrs.id }, el('bind', { xmlns: NS_BIND }, el('jid', {}, `${local}@${domain}/${session.jid.resource}`)))));
  }

  /** Sends a stream error (RFC 6120 §4.9) and closes the stream. */
  fail(condition: StreamErrorCondition, message: string): void {
    if (this.closed) return;
    this.header();
    this.send(`<stream:error><${condition} xmlns="${NS_STREAMS_ERR}"/><text xmlns="${NS_STREAMS_ERR}">${escapeXml(message)}</text></stream:error>`);
    void this.close(true);
  }

  /** Ends the stream: `</stream:stream>` when `polite`, then the connection; the endpoint is gone. */
  async close(polite: boolean): Promise<void> {
    if (this.closed) return;
    if (polite && !this.o.bosh) this.send('</stream:stream>');
    this.closed = true;
    clearTimeout(this.authTimer);
    this.wire.end();
    const s = this.session;
    this.session = undefined;
    if (s) await this.o.hub.unbind(s, 'connection-lost');
  }
}
