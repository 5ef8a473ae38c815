// Parser throughput for a typical MS-PRES SERVICE (publish) with a 2 KB body:
// stream path (framer + parser) and datagram path (parser only). node bench/sip-parser.mjs
import { parseMessage, serialize, SipFramer } from '../libs/sip/dist/index.js';
import { writeResults } from './common.mjs';

const body = Buffer.from(
  `<publish xmlns="http://schemas.microsoft.com/2006/09/sip/rich-presence"><publications uri="sip:bob@contoso.com">${'<publication categoryName="note" instance="0" container="300" version="0" expireType="static"><note xmlns="http://schemas.microsoft.com/2006/09/sip/note"><body type="personal" uri="">Gone fishing ✓</body></note></publication>'.repeat(10)}</publications></publish>`.slice(0, 2048),
);
const message = serialize({
  type: 'request',
  method: 'SERVICE',
  uri: 'sip:bob@contoso.com',
  headers: [
    { name: 'Via', value: 'SIP/2.0/TLS 172.24.32.124:53925;branch=z9hG4bK-524287-1;ms-received-port=53925' },
    { name: 'Max-Forwards', value: '70' },
    { name: 'From', value: '<sip:bob@contoso.com>;tag=b5410171e2;epid=84d3db8c23' },
    { name: 'To', value: '<sip:bob@contoso.com>' },
    { name: 'Call-ID', value: '82369a8c95ba4778b3b9220e4abb73d8' },
    { name: 'CSeq', value: '1 SERVICE' },
    { name: 'Contact', value: '<sip:bob@contoso.com;opaque=user:epid:fvceImg6cFWG7W6lvUt_-AAA;gruu>' },
    { name: 'User-Agent', value: 'UCCP/2.0.6362.0 OC/2.0.6362.0 (Microsoft Office Communicator)' },
    { name: 'Proxy-Authorization', value: 'NTLM qop="auth", realm="SIP Communications Service", opaque="B1E794AB", crand="a9c657de", cnum="354", targetname="server.contoso.com", response="01000000690070003bf4c8c33d9c49c2"' },
    { name: 'Content-Type', value: 'application/msrtc-category-publish+xml' },
  ],
  body,
});

function run(label, seconds, step) {
  // Warm up, then count whole batches until the time is up.
  for (let i = 0; i < 20_000; i++) step();
  let n = 0;
  const t0 = process.hrtime.bigint();
  const until = t0 + BigInt(seconds * 1e9);
  let now = t0;
  while (now < until) {
    for (let i = 0; i < 1000; i++) n += step();
    now = process.hrtime.bigint();
  }
  const secs = Number(now - t0) / 1e9;
  return { label, messages: n, seconds: +secs.toFixed(3), messagesPerSecond: Math.round(n / secs), megabytesPerSecond: +((n * message.length) / secs / 1e6).toFixed(1) };
}

const framer = new SipFramer();
// 16 messages per chunk, as a busy TLS connection delivers them.
const chunk = Buffer.concat(Array.from({ length: 16 }, () => message));
const results = {
  messageBytes: message.length,
  bodyBytes: body.length,
  stream: run('framer + parser, 16 messages per chunk', 3, () => {
    let k = 0;
    for (const e of framer.push(chunk)) if (e.type === 'message' && parseMessage(e.bytes).ok) k++;
    return k;
  }),
  datagram: run('parser only (UDP datagram)', 3, () => (parseMessage(message, { datagram: true }).ok ? 1 : 0)),
};
writeResults('sip-parser', results);
