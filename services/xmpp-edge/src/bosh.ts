import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Logger } from '@presence/telemetry';
import { C2sStream, type C2sOptions } from './c2s-stream.js';
import { XmppStreamError } from './errors.js';
import { StreamParser, type StreamLimits } from './stream-parser.js';
import { escapeXml, type XmlElement } from './xml.js';

export const NS_HTTPBIND = 'http://jabber.org/protocol/httpbind';
const NS_XBOSH = 'urn:xmpp:xbosh';
const NS_STREAM = 'http://etherx.jabber.org/streams';
const NS_CLIENT = 'jabber:client';
/** Requests a client may have outstanding (XEP-0124 §7 `requests`), and so the rid window. */
const REQUESTS = 2;
const MAX_PENDING_STANZAS = 1000;
const MAX_SESSIONS = 10_000;

export interface BoshOptions extends C2sOptions {
  readonly inactivityS: number;
  readonly maxWaitS: number;
}

/** A parsed request `<body/>` (XEP-0124 §4): its attributes and the elements it carries. */
export interface BoshBody {
  readonly attrs: Record<string, string>;
  readonly elements: XmlElement[];
}

/** Reads a request body with the same streaming parser and limits as c2s (restricted XML, sizes). */
export function parseBoshBody(xml: string, limits: StreamLimits): BoshBody {
  let attrs: Record<string, string> | undefined;
  const elements: XmlElement[] = [];
  let ended = false;
  const parser = new StreamParser(
    {
      streamStart: (a) => {
        attrs = a;
      },
      // XEP-0206 §7: stanzas are qualified by jabber:client; those that inherit httpbind are taken as such.
      element: (e) => elements.push(e.ns === NS_HTTPBIND ? { ...e, ns: NS_CLIENT } : e),
      streamEnd: () => {
        ended = true;
      },
    },
    limits,
    { local: 'body', ns: NS_HTTPBIND },
  );
  parser.write(Buffer.from(xml, 'utf8'));
  if (!attrs || !ended) throw new XmppStreamError('bad-format', 'expected one complete <body/>');
  return { attrs, elements };
}

interface Held {
  readonly reply: FastifyReply;
  readonly timer: NodeJS.Timeout;
}

/** One BOSH session (XEP-0124 §7–§9) carrying one XMPP stream (XEP-0206). */
class BoshSession {
  readonly sid = randomBytes(16).toString('base64url');
  private lastRid: number;
  private readonly pending: string[] = [];
  private held: Held | undefined;
  private inactivity: NodeJS.Timeout | undefined;
  private ended = false;
  private streamFailed = false;
  readonly stream: C2sStream;

  constructor(
    private readonly o: BoshOptions,
    rid: number,
    readonly wait: number,
    ip: string,
    private readonly onEnd: (s: BoshSession) => void,
  ) {
    this.lastRid = rid;
    this.stream = new C2sStream(
      {
        id: `b${this.sid}`,
        remote: `${ip} (BOSH)`,
        ip,
        write: (s) => this.push(s),
        startTls: () => undefined,
        end: () => {
          this.streamFailed = true;
          this.terminate();
        },
      },
      { ...o, bosh: true },
    );
    this.touch();
  }

  private push(s: string): void {
    if (this.pending.length >= MAX_PENDING_STANZAS) {
      this.terminate('policy-violation');
      return;
    }
    this.pending.push(s);
    if (this.held) this.flush();
  }

  /** XEP-0124 §7: the session ends after `inactivity` seconds with no request outstanding. */
  private touch(): void {
    clearTimeout(this.inactivity);
    this.inactivity = setTimeout(() => this.terminate(), (this.o.inactivityS + this.wait) * 1000);
    this.inactivity.unref();
  }

  /** Checks the request id (XEP-0124 §14.1): the next one, within the window of outstanding requests. */
  acceptRid(rid: number): boolean {
    if (!Number.isSafeInteger(rid) || rid <= this.lastRid || rid > this.lastRid + REQUESTS) return false;
    this.lastRid = rid;
    return true;
  }

  /** Answers with what is pending now, or holds the request until there is some or `wait` runs out. */
  respond(reply: FastifyReply, mayHold: boolean): void {
    this.touch();
    if (this.held) this.flush(); // hold="1": the older request goes back first
    if (this.pending.length > 0 || !mayHold || this.ended) {
      this.answer(reply);
      return;
    }
    const timer = setTimeout(() => this.flush(), this.wait * 1000);
    timer.unref();
    this.held = { reply, timer };
    reply.raw.on('close', () => {
      if (this.held?.reply === reply) {
        clearTimeout(this.held.timer);
        this.held = undefined;
      }
    });
  }

  private flush(): void {
    const h = this.held;
    if (!h) return;
    this.held = undefined;
    clearTimeout(h.timer);
    this.answer(h.reply);
  }

  private answer(reply: FastifyReply, extra = ''): void {
    const inner = this.pending.splice(0).join('');
    const attrs = this.ended ? ` type="terminate"${this.streamFailed ? ' condition="remote-stream-error"' : ''}` : '';
    reply
      .code(200)
      .header('content-type', 'text/xml; charset=utf-8')
      .send(`<body xmlns="${NS_HTTPBIND}" xmlns:stream="${NS_STREAM}"${attrs}${extra}>${inner}</body>`);
  }

  /** The first answer (XEP-0124 §7, XEP-0206 §5): session attributes and the stream features. */
  created(reply: FastifyReply, domain: string): void {
    this.answer(
      reply,
      ` sid="${this.sid}" wait="${this.wait}" inactivity="${this.o.inactivityS}" polling="1" requests="${REQUESTS}" hold="1" ver="1.11" from="${escapeXml(domain)}" xmpp:version="1.0" xmlns:xmpp="${NS_XBOSH}"`,
    );
  }

  terminate(_condition?: string): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.inactivity);
    this.flush();
    void this.stream.close(false);
    this.onEnd(this);
  }
}

/** The BOSH connection manager of this edge (XEP-0124), behind POST /http-bind. */
export class BoshService {
  private readonly sessions = new Map<string, BoshSession>();

  constructor(private readonly o: BoshOptions) {}

  get logger(): Logger {
    return this.o.logger;
  }

  async request(xml: string, reply: FastifyReply, ip: string): Promise<void> {
    const terminate = (condition: string) =>
      reply.code(200).header('content-type', 'text/xml; charset=utf-8').send(`<body xmlns="${NS_HTTPBIND}" type="terminate" condition="${condition}"/>`);
    let body: BoshBody;
    try {
      body = parseBoshBody(xml, this.o.limits);
    } catch (e) {
      // XEP-0124 §17.2: bad-request for a body that is not one.
      return terminate(e instanceof XmppStreamError && e.condition === 'restricted-xml' ? 'policy-violation' : 'bad-request');
    }
    const a = body.attrs;
    const rid = Number(a.rid);
    if (a.sid === undefined) {
      // Session creation request (XEP-0124 §7, XEP-0206 §5).
      const to = (a.to ?? '').toLowerCase();
      if (!this.o.domains.includes(to)) return terminate('host-unknown');
      if (!Number.isSafeInteger(rid)) return terminate('bad-request');
      if (this.sessions.size >= MAX_SESSIONS) return terminate('remote-connection-failed');
      const wait = Math.max(1, Math.min(this.o.maxWaitS, Number(a.wait) || this.o.maxWaitS));
      const s = new BoshSession(this.o, rid, wait, ip, (x) => this.sessions.delete(x.sid));
      this.sessions.set(s.sid, s);
      s.stream.open({ to, version: a['xmpp:version'] ?? '1.0' });
      await s.stream.settled();
      s.created(reply, to);
      return;
    }
    const s = this.sessions.get(a.sid);
    if (!s) return terminate('item-not-found');
    if (!s.acceptRid(rid)) {
      s.terminate();
      return terminate('item-not-found');
    }
    if (a.type === 'terminate') {
      for (const e of body.elements) s.stream.element(e);
      await s.stream.settled();
      s.terminate();
      return terminate('');
    }
    if (a['xmpp:restart'] === 'true') s.stream.open({ to: a.to ?? '', version: '1.0' });
    for (const e of body.elements) s.stream.element(e);
    await s.stream.settled();
    s.respond(reply, body.elements.length === 0 && a['xmpp:restart'] !== 'true');
  }

  async stop(): Promise<void> {
    for (const s of [...this.sessions.values()]) s.terminate();
  }
}

/** POST /http-bind on the process's HTTP server; 503 until the edge has started. */
export function registerBoshRoutes(app: FastifyInstance, bosh: () => BoshService | undefined): void {
  void app.register(async (scope) => {
    scope.addContentTypeParser(['text/xml', 'application/xml'], { parseAs: 'string', bodyLimit: 262_144 }, (_req, body, done) => done(null, body));
    scope.post('/http-bind', async (req, reply) => {
      const service = bosh();
      if (!service) return reply.code(503).header('retry-after', '5').send('XMPP edge not started');
      if (typeof req.body !== 'string') return reply.code(400).send('expected text/xml');
      await service.request(req.body, reply, req.ip);
      return reply;
    });
  });
}
