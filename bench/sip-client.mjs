// A minimal SIP endpoint over TCP for the benchmarks (the tests have their own, in TypeScript).
import net from 'node:net';
import { getHeader, parseMessage, randomToken, serialize, SipFramer } from '../libs/sip/dist/index.js';

export async function endpoint(port, user, epid) {
  const s = await new Promise((resolve, reject) => {
    const x = net.connect({ host: '127.0.0.1', port }, () => resolve(x));
    x.once('error', reject);
  });
  s.setNoDelay(true);
  const framer = new SipFramer();
  const waiters = [];
  const inbox = [];
  let onRequest;
  s.on('data', (d) => {
    for (const e of framer.push(d)) {
      if (e.type !== 'message') continue;
      const m = parseMessage(e.bytes).value;
      if (m.type === 'request' && onRequest && onRequest(m)) continue;
      const w = waiters.findIndex((x) => x.match(m));
      if (w >= 0) waiters.splice(w, 1)[0].resolve(m);
      else inbox.push(m);
    }
  });
  let cseq = 1;
  const fromTag = randomToken(4);
  const next = (match) => {
    const i = inbox.findIndex(match);
    if (i >= 0) return Promise.resolve(inbox.splice(i, 1)[0]);
    return new Promise((resolve) => waiters.push({ match, resolve }));
  };
  const request = async (method, headers, body = '', o = {}) => {
    const callId = o.callId ?? randomToken(8);
    const c = cseq++;
    s.write(
      serialize({
        type: 'request',
        method,
        uri: o.uri ?? (method === 'REGISTER' ? 'sip:contoso.com' : user),
        headers: [
          { name: 'Via', value: `SIP/2.0/TCP 127.0.0.1:${s.localPort};branch=z9hG4bK${randomToken()}` },
          { name: 'From', value: `<${user}>;tag=${fromTag};epid=${epid}` },
          { name: 'To', value: `<${o.to ?? user}>${o.toTag ? `;tag=${o.toTag}` : ''}` },
          { name: 'Call-ID', value: callId },
          { name: 'CSeq', value: `${c} ${method}` },
          { name: 'Contact', value: `<sip:127.0.0.1:${s.localPort};transport=tcp>` },
          ...headers,
        ],
        body: Buffer.from(body),
      }),
    );
    return next((m) => m.type === 'response' && getHeader(m, 'Call-ID') === callId);
  };
  return {
    request,
    next,
    /** Every incoming request goes to `f` (returning true takes it); NOTIFYs are answered 200 by the caller. */
    onRequest: (f) => (onRequest = f),
    reply200: (m) =>
      s.write(serialize({ type: 'response', status: 200, reason: 'OK', headers: m.headers.filter((h) => ['Via', 'From', 'To', 'Call-ID', 'CSeq'].includes(h.name)), body: Buffer.alloc(0) })),
    close: () => s.destroy(),
  };
}

export function notePublish(user, version, text) {
  return `<publish xmlns="http://schemas.microsoft.com/2006/09/sip/rich-presence"><publications uri="${user}"><publication categoryName="note" instance="0" container="0" version="${version}" expireType="static"><note xmlns="http://schemas.microsoft.com/2006/09/sip/note"><body type="personal" uri="">${text}</body></note></publication></publications></publish>`;
}

export const PUBLISH_TYPE = [{ name: 'Content-Type', value: 'application/msrtc-category-publish+xml' }];
