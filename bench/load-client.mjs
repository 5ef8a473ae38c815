// The load generator's SIP user agent: one TCP connection per UA, a lean framer and header reader
// (the generator shares the 2 cores with the server, so it must cost far less per message than the
// server does; parsing every NOTIFY with the full parser would make the generator the bottleneck).
import net from 'node:net';

let tokens = 0;
const token = () => `${process.pid.toString(36)}x${(++tokens).toString(36)}`;

const CL = /\r\n(?:content-length|l)[ \t]*:[ \t]*(\d+)/i;

/** Splits a TCP byte stream into SIP messages: `{ head: string, body: Buffer }`. */
export function framer(onMessage) {
  let buf = Buffer.alloc(0);
  return (chunk) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    for (;;) {
      let start = 0;
      while (start + 1 < buf.length && buf[start] === 13 && buf[start + 1] === 10) start += 2; // keep-alive CRLFs
      const end = buf.indexOf('\r\n\r\n', start, 'latin1');
      if (end < 0) break;
      const head = buf.toString('latin1', start, end);
      const m = CL.exec(head);
      const len = m ? Number(m[1]) : 0;
      if (buf.length < end + 4 + len) break;
      const body = buf.subarray(end + 4, end + 4 + len);
      buf = buf.subarray(end + 4 + len);
      onMessage(head, body);
    }
  };
}

/** The first value of a header (full name only: the server never sends compact forms). */
export function header(head, name) {
  const i = head.toLowerCase().indexOf(`\r\n${name.toLowerCase()}:`);
  if (i < 0) return undefined;
  const from = i + name.length + 3;
  const to = head.indexOf('\r\n', from);
  return head.slice(from, to < 0 ? undefined : to).trim();
}

function headerLines(head, name) {
  const re = new RegExp(`\\r\\n(${name}:[^\\r]*)`, 'gi');
  return [...head.matchAll(re)].map((m) => m[1]);
}

/**
 * A user agent on its own TCP connection. `request()` resolves with `{ status, head, body }`;
 * `onRequest(f)` gets every incoming request as `(method, head, body)`; `reply200(head)` answers one.
 */
export async function ua(port, user, epid) {
  const s = await new Promise((resolve, reject) => {
    const x = net.connect({ host: '127.0.0.1', port }, () => resolve(x));
    x.once('error', reject);
  });
  s.setNoDelay(true);
  s.on('error', () => undefined);
  const waiting = new Map();
  let onRequest = () => undefined;
  s.on(
    'data',
    framer((head, body) => {
      if (head.startsWith('SIP/2.0 ')) {
        const key = `${header(head, 'Call-ID')} ${header(head, 'CSeq')}`;
        const w = waiting.get(key);
        if (!w) return;
        const status = Number(head.slice(8, 11));
        if (status < 200) return;
        waiting.delete(key);
        w({ status, head, body });
        return;
      }
      onRequest(head.slice(0, head.indexOf(' ')), head, body);
    }),
  );
  let cseq = 1;
  const fromTag = token();
  const local = `127.0.0.1:${s.localPort}`;
  const request = (method, headers, body = '', o = {}) => {
    const callId = o.callId ?? token();
    const c = cseq++;
    const b = Buffer.from(body);
    const lines = [
      `${method} ${o.uri ?? (method === 'REGISTER' ? 'sip:contoso.com' : user)} SIP/2.0`,
      `Via: SIP/2.0/TCP ${local};branch=z9hG4bK${token()}`,
      'Max-Forwards: 70',
      `From: <${user}>;tag=${fromTag};epid=${epid}`,
      `To: <${o.to ?? user}>`,
      `Call-ID: ${callId}`,
      `CSeq: ${c} ${method}`,
      `Contact: <sip:${local};transport=tcp>`,
      ...headers.map(([k, v]) => `${k}: ${v}`),
      `Content-Length: ${b.length}`,
    ];
    const done = new Promise((resolve) => waiting.set(`${callId} ${c} ${method}`, resolve));
    s.write(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), b]));
    return done;
  };
  return {
    user,
    request,
    onRequest: (f) => (onRequest = f),
    reply200: (head) => {
      const keep = ['Via', 'From', 'To', 'Call-ID', 'CSeq'].flatMap((n) => headerLines(head, n));
      s.write(`SIP/2.0 200 OK\r\n${keep.join('\r\n')}\r\nContent-Length: 0\r\n\r\n`);
    },
    close: () => s.destroy(),
  };
}

export const PUBLISH = [['Content-Type', 'application/msrtc-category-publish+xml']];
export const MEMBERS = [['Content-Type', 'application/msrtc-setcontainermembers+xml']];

/** A note in container 200 carrying sequence number `seq` (the text `q<seq>`). */
export function noteIn200(user, version, seq) {
  return `<publish xmlns="http://schemas.microsoft.com/2006/09/sip/rich-presence"><publications uri="${user}"><publication categoryName="note" instance="0" container="200" version="${version}" expireType="static"><note xmlns="http://schemas.microsoft.com/2006/09/sip/note"><body type="personal" uri="">q${seq}</body></note></publication></publications></publish>`;
}

/** Container 200 open to the subscriber's enterprise ([MS-PRES] §2.2.2.5 sameEnterprise). */
export function sameEnterprise200() {
  return '<setContainerMembers xmlns="http://schemas.microsoft.com/2006/09/sip/container-management"><container id="200" version="0"><member type="sameEnterprise"/></container></setContainerMembers>';
}

/** One batch category SUBSCRIBE (Lync style) for `state` and `note` of every presentity. */
export function batchSubscribe(user, presentities) {
  const resources = presentities.map((p) => `<resource uri="${p}"/>`).join('');
  return `<batchSub xmlns="http://schemas.microsoft.com/2006/01/sip/batch-subscribe" uri="${user}" name=""><action name="subscribe" id="1"><adhocList>${resources}</adhocList><categoryList xmlns="http://schemas.microsoft.com/2006/09/sip/categorylist"><category name="state"/><category name="note"/></categoryList></action></batchSub>`;
}

export function subscribeHeaders(benotify) {
  return [
    ['Event', 'presence'],
    ['Accept', 'application/msrtc-event-categories+xml, application/rlmi+xml, multipart/related'],
    ['Supported', benotify ? 'ms-benotify, ms-piggyback-first-notify' : 'ms-piggyback-first-notify'],
    ['Require', 'adhoclist, categoryList'],
    ['Content-Type', 'application/msrtc-adrl-categorylist+xml'],
    ['Expires', '28800'],
  ];
}

// ---------------------------------------------------------------------------------------------
// The PIDF variant (standard SIP/SIMPLE clients, for the side-by-side with Kamailio): RFC 3903
// PUBLISH of application/pidf+xml, one `Event: presence` SUBSCRIBE per watched presentity.

/**
 * The RPID activity (RFC 4480 §3.2) of sequence `seq`: a cycle of four states that every server
 * carries through, so that each publish changes what a watcher sees. This server's PIDF watchers get
 * the legacyInterop state ([MS-PRES] §3.7.5.4), not the publisher's note, so there the sequence
 * is read back from the activity; where the note arrives (Kamailio) it is read from the note.
 */
export const PIDF_CYCLE = ['', 'busy', 'away', 'on-the-phone'];

/**
 * A PIDF document (RFC 3863, RPID RFC 4480): open with the cycle's activity, or `closed` (the
 * load model's final probe: a state no other publish has), and the note `q<seq>`.
 */
export function pidfNote(entity, seq, closed = false) {
  const activity = closed ? '' : PIDF_CYCLE[seq % PIDF_CYCLE.length];
  const person = activity ? `<dm:person id="p1"><rpid:activities><rpid:${activity}/></rpid:activities></dm:person>` : '';
  return `<?xml version="1.0" encoding="UTF-8"?>\r\n<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="${entity}"><tuple id="t1"><status><basic>${closed ? 'closed' : 'open'}</basic></status></tuple>${person}<note>q${seq}</note></presence>`;
}

/** RFC 3903 §4.1 initial PUBLISH, or §4.4 modify with the entity-tag of the last answer. */
export function pidfPublishHeaders(etag) {
  return [['Event', 'presence'], ['Content-Type', 'application/pidf+xml'], ['Expires', '3600'], ...(etag ? [['SIP-If-Match', etag]] : [])];
}

export const PIDF_SUBSCRIBE = [['Event', 'presence'], ['Accept', 'application/pidf+xml'], ['Expires', '3600']];

const NOTE_SEQ = /<note[^>]*>q(\d+)</;
const CLOSED = /<basic>\s*closed\s*</;
const ACTIVITY = /<(?:ep:activity>|rpid:)(busy|away|on-the-phone)\b/;

/**
 * The sequence a PIDF NOTIFY body carries, given the last one seen on its dialog (`prev`) and the
 * last one sent (`sent`): the note's when there is one, else the first sequence after `prev` with
 * the body's activity (exact as long as fewer than four states in a row are skipped); a first
 * notification (prev 0) takes the latest such sequence sent. undefined: no published state yet.
 */
export function pidfSeq(body, prev, sent) {
  const n = NOTE_SEQ.exec(body);
  if (n) return Number(n[1]);
  if (CLOSED.test(body)) return undefined;
  const k = PIDF_CYCLE.indexOf(ACTIVITY.exec(body)?.[1] ?? '');
  const L = PIDF_CYCLE.length;
  const latest = sent - ((((sent - k) % L) + L) % L); // the last sequence sent with this activity
  if (prev === 0) return latest > 0 ? latest : undefined;
  const next = prev + 1 + ((((k - prev - 1) % L) + L) % L);
  // A state not sent yet cannot arrive: four or more were skipped (latest-state-wins), take the latest.
  return next <= sent ? next : latest > prev ? latest : next;
}
