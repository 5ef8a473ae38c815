/** Joins lines with CRLF and appends the body, computing Content-Length when asked with `{cl}`. */
export function sip(lines: string[], body = ''): Buffer {
  const b = Buffer.from(body, 'utf8');
  const head = lines.map((l) => l.replace('{cl}', String(b.length))).join('\r\n');
  return Buffer.concat([Buffer.from(`${head}\r\n\r\n`, 'utf8'), b]);
}

/** [MS-PRES] §4.2.1: Bob publishes a note to containers 200, 300 and 400 (Proxy-Authorization left out). */
export const PUBLISH_BODY = `<publish xmlns="http://schemas.microsoft.com/2006/09/sip/rich-presence">
  <publications uri="sip:bob@contoso.com">
    <publication categoryName="note" instance="0" container="300" version="0" expireType="static">
      <note xmlns="http://schemas.microsoft.com/2006/09/sip/note">
        <body type="personal" uri="">Gone fishing – back at 5 ✓</body>
      </note>
    </publication>
    <publication categoryName="note" instance="0" container="400" version="0" expireType="static">
      <note xmlns="http://schemas.microsoft.com/2006/09/sip/note">
        <body type="personal" uri="">Gone fishing – back at 5 ✓</body>
      </note>
    </publication>
    <publication categoryName="note" instance="0" container="200" version="0" expireType="static">
      <note xmlns="http://schemas.microsoft.com/2006/09/sip/note">
        <body type="personal" uri="">Gone fishing – back at 5 ✓</body>
      </note>
    </publication>
  </publications>
</publish>`;

export function msPresService(body = PUBLISH_BODY): Buffer {
  return sip(
    [
      'SERVICE sip:bob@contoso.com SIP/2.0',
      'Via: SIP/2.0/TCP 172.24.32.124:53925;branch=z9hG4bK-524287-1',
      'Max-Forwards: 70',
      'From: <sip:bob@contoso.com>;tag=b5410171e2;epid=84d3db8c23',
      'To: <sip:bob@contoso.com>',
      'Call-ID: 82369a8c95ba4778b3b9220e4abb73d8',
      'CSeq: 1 SERVICE',
      'Contact: <sip:bob@contoso.com;opaque=user:epid:fvceImg6cFWG7W6lvUt_-AAA;gruu>',
      'User-Agent: UCCP/2.0.6362.0 OC/2.0.6362.0 (Microsoft Office Communicator)',
      'Content-Type: application/msrtc-category-publish+xml',
      'Content-Length: {cl}',
    ],
    body,
  );
}
