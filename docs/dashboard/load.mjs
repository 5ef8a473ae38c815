// A scripted day of a small office, for the dashboard picture (docs/dashboard/render.mjs): users
// sign in over TCP with digest, subscribe to themselves and to colleagues, publish notes, refresh,
// sign out and back in; an intruder guesses passwords for a while. Plain SIP over sockets, as
// Lync-family clients send it ([MS-PRES] §4.2.1, §4.5 shapes).
import net from 'node:net';
import { createResponse, digestResponse, getHeader, getHeaders, param, parseMessage, parseParams, randomToken, serialize, SipFramer } from '@presence/sip';

const ROAMING_LIST = '<roamingList xmlns="http://schemas.microsoft.com/2006/09/sip/roaming-self"><roaming type="categories"/><roaming type="containers"/><roaming type="subscribers"/></roamingList>';
const note = (uri, version, text) =>
  `<publish xmlns="http://schemas.microsoft.com/2006/09/sip/rich-presence"><publications uri="${uri}"><publication categoryName="note" instance="0" container="400" version="${version}" expireType="static"><note xmlns="http://schemas.microsoft.com/2006/09/sip/note"><body type="personal" uri="">${text}</body></note></publication></publications></publish>`;
const batchSub = (uri, others) =>
  `<batchSub xmlns="http://schemas.microsoft.com/2006/01/sip/batch-subscribe" uri="${uri}" name=""><action name="subscribe" id="1"><adhocList>${others.map((o) => `<resource uri="${o}"/>`).join('')}</adhocList><categoryList xmlns="http://schemas.microsoft.com/2006/09/sip/categorylist"><category name="note"/><category name="state"/><category name="contactCard"/></categoryList></action></batchSub>`;

/** One endpoint on one TCP connection. */
class Endpoint {
  constructor(port, user, password, versions = new Map()) {
    this.port = port;
    this.user = user;
    this.password = password;
    this.cseq = 1;
    this.epid = randomToken(5);
    this.waiting = new Map();
    // The note's version, shared by the user's sign-ins (a stale one would get 409).
    this.versions = versions;
  }

  async connect() {
    this.socket = net.connect({ host: '127.0.0.1', port: this.port });
    await new Promise((resolve, reject) => this.socket.once('connect', resolve).once('error', reject));
    this.socket.on('error', () => undefined);
    const framer = new SipFramer();
    this.socket.on('data', (d) => {
      for (const e of framer.push(d)) if (e.type === 'message') this.receive(e.bytes);
    });
  }

  receive(bytes) {
    const r = parseMessage(bytes, { datagram: false });
    if (!r.ok) return;
    const m = r.value;
    if (m.type === 'request') {
      // NOTIFY wants a 200; BENOTIFY wants nothing ([MS-SIP] best-effort NOTIFY).
      if (m.method === 'NOTIFY') this.socket.write(serialize(createResponse(m, 200, { toTag: randomToken() })));
      return;
    }
    const key = `${getHeader(m, 'Call-ID')}|${getHeader(m, 'CSeq')}`;
    if (m.status >= 200) this.waiting.get(key)?.(m);
  }

  build(method, { uri, to, headers = [], body = '', callId = randomToken(12) } = {}) {
    const local = `${this.socket.localAddress}:${this.socket.localPort}`;
    return {
      type: 'request',
      method,
      uri: uri ?? (method === 'REGISTER' ? 'sip:contoso.com' : this.user),
      headers: [
        { name: 'Via', value: `SIP/2.0/TCP ${local};branch=z9hG4bK${randomToken()}` },
        { name: 'Max-Forwards', value: '70' },
        { name: 'From', value: `<${this.user}>;tag=${randomToken(5)};epid=${this.epid}` },
        { name: 'To', value: `<${to ?? this.user}>` },
        { name: 'Call-ID', value: callId },
        { name: 'CSeq', value: `${this.cseq++} ${method}` },
        ...(method === 'REGISTER' ? [{ name: 'Contact', value: `<sip:${local};transport=tcp>;methods="NOTIFY, BENOTIFY";+sip.instance="<urn:uuid:${this.epid}>"` }] : []),
        ...headers,
      ],
      body: Buffer.from(body),
    };
  }

  send(req) {
    const key = `${getHeader(req, 'Call-ID')}|${getHeader(req, 'CSeq')}`;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(key);
        resolve({ status: 0 });
      }, 10_000);
      this.waiting.set(key, (m) => {
        clearTimeout(timer);
        this.waiting.delete(key);
        resolve(m);
      });
      this.socket.write(serialize(req));
    });
  }

  /** REGISTER, answering the digest challenge; the connection is then signed in. */
  async signIn(password = this.password) {
    const reg = this.build('REGISTER', { headers: [{ name: 'Supported', value: 'gruu-10, adhoclist, msrtc-event-categories' }] });
    const challenge = await this.send(reg);
    if (challenge.status !== 401) return challenge.status;
    const h = getHeaders(challenge, 'WWW-Authenticate').find((v) => /algorithm=SHA-256/.test(v));
    const p = parseParams(h.replace(/^Digest\s+/, ''), ',');
    const cred = { username: this.user, realm: param(p, 'realm'), nonce: param(p, 'nonce'), uri: reg.uri, algorithm: 'SHA-256', qop: 'auth', nc: '00000001', cnonce: randomToken(8), opaque: param(p, 'opaque') };
    const response = digestResponse(cred, 'REGISTER', password);
    const again = this.build('REGISTER', {
      callId: getHeader(reg, 'Call-ID'),
      headers: [
        { name: 'Supported', value: 'gruu-10, adhoclist, msrtc-event-categories' },
        { name: 'Authorization', value: `Digest username="${cred.username}", realm="${cred.realm}", nonce="${cred.nonce}", uri="${cred.uri}", response="${response}", algorithm=SHA-256, qop=auth, nc=${cred.nc}, cnonce="${cred.cnonce}", opaque="${cred.opaque}"` },
      ],
    });
    return (await this.send(again)).status;
  }

  /** A SUBSCRIBE as Lync sends it: BENOTIFY and a piggybacked first NOTIFY supported. */
  subscribe(event, accept, contentType, body, extra = []) {
    return this.send(
      this.build('SUBSCRIBE', {
        headers: [
          { name: 'Contact', value: `<${this.user};opaque=user:epid:${this.epid};gruu>` },
          { name: 'Event', value: event },
          { name: 'Accept', value: accept },
          { name: 'Supported', value: 'ms-benotify' },
          { name: 'Proxy-Require', value: 'ms-benotify' },
          { name: 'Supported', value: 'ms-piggyback-first-notify' },
          ...extra,
          { name: 'Content-Type', value: contentType },
        ],
        body,
      }),
    );
  }

  subscribeSelf() {
    const type = 'application/vnd-microsoft-roaming-self+xml';
    return this.subscribe('vnd-microsoft-roaming-self', type, type, ROAMING_LIST);
  }

  subscribeTo(others) {
    return this.subscribe('presence', 'application/msrtc-event-categories+xml, application/rlmi+xml, multipart/related', 'application/msrtc-adrl-categorylist+xml', batchSub(this.user, others), [
      { name: 'Require', value: 'adhoclist, categoryList' },
      { name: 'Supported', value: 'eventlist' },
    ]);
  }

  async publish(text) {
    const r = await this.send(this.build('SERVICE', { headers: [{ name: 'Content-Type', value: 'application/msrtc-category-publish+xml' }], body: note(this.user, this.versions.get(this.user) ?? 0, text) }));
    if (r.status === 200) this.versions.set(this.user, (this.versions.get(this.user) ?? 0) + 1);
    return r.status;
  }

  options() {
    return this.send(this.build('OPTIONS'));
  }

  async signOut() {
    await this.send(this.build('REGISTER', { headers: [{ name: 'Expires', value: '0' }] }));
    this.socket.destroy();
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pick = (list, n) => [...list].sort(() => Math.random() - 0.5).slice(0, n);

/**
 * Runs the office for `durationMs`: users join over the first fifth, work (publish every few
 * seconds, keep-alive OPTIONS), a third sign out and back in mid-way, a burst of publishing near the
 * end; an intruder guesses passwords during the middle third.
 */
export async function runOffice({ port, users, durationMs }) {
  const t0 = Date.now();
  const at = (f) => t0 + durationMs * f;
  const uris = users.map((u) => u.uri);
  const versions = new Map();
  const worker = async (u, i) => {
    await sleep((durationMs / 5) * (i / users.length));
    while (Date.now() < at(1)) {
      const e = new Endpoint(port, u.uri, u.password, versions);
      await e.connect();
      if ((await e.signIn()) !== 200) return;
      await e.subscribeSelf();
      await e.subscribeTo(pick(uris.filter((x) => x !== u.uri), 6));
      const leaveAt = i % 3 === 0 && Date.now() < at(0.5) ? at(0.45 + Math.random() * 0.1) : at(1);
      while (Date.now() < leaveAt) {
        const burst = Date.now() > at(0.75) && Date.now() < at(0.85);
        await sleep(burst ? 300 + Math.random() * 500 : 2000 + Math.random() * 4000);
        if (Math.random() < 0.2) await e.options();
        else await e.publish(`busy ${Math.round(Math.random() * 100)}`);
      }
      await e.signOut();
      if (Date.now() < at(1)) await sleep(5000 + Math.random() * 5000);
    }
  };
  const intruder = async () => {
    while (Date.now() < at(0.35)) await sleep(500);
    while (Date.now() < at(0.65)) {
      const e = new Endpoint(port, 'sip:mallory@contoso.com', 'guess');
      await e.connect();
      await e.signIn(`guess-${randomToken(4)}`);
      e.socket.destroy();
      await sleep(700);
    }
  };
  await Promise.all([...users.map(worker), intruder()]);
}
