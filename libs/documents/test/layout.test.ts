import { describe, expect, it } from 'vitest';
import { buildMultipart, buildProvisionGroupList } from '../src/index.js';

describe('multipart layout ([MS-PRES] §4.5, §4.6; RFC 2046 §5.1.1)', () => {
  it('ends every part with CRLF before the delimiter’s own CRLF: an empty line before each delimiter', () => {
    const m = buildMultipart('b0', [
      { headers: [['Content-Type', 'application/rlmi+xml']], body: '<list/>' },
      { headers: [['Content-Type', 'application/msrtc-event-categories+xml']], body: '<categories></categories>' },
    ]);
    expect(m.body).toBe(
      '--b0\r\nContent-Type: application/rlmi+xml\r\n\r\n<list/>\r\n\r\n' + '--b0\r\nContent-Type: application/msrtc-event-categories+xml\r\n\r\n<categories></categories>\r\n\r\n' + '--b0--\r\n',
    );
    expect(m.contentType).toBe('multipart/related; type="application/rlmi+xml";start=resourceList; boundary=b0');
  });
});

describe('provisionGroupList layout (as Lync-family clients read it)', () => {
  it('writes ServerConfiguration values as child elements and every other group as propertyEntryList/property, escaping values', () => {
    expect(
      buildProvisionGroupList([
        { name: 'ServerConfiguration', properties: { focusFactoryUri: 'sip:a@b;gruu', mrasUri: 'x<y', 'bad name': 'dropped' } },
        { name: 'ucPolicy', properties: { EnableCallLogAutoArchiving: 'false' } },
        { name: 'meetingPolicy', properties: {} },
      ]),
    ).toBe(
      '<provisionGroupList xmlns="http://schemas.microsoft.com/2006/09/sip/provisiongrouplist-notification">' +
        '<provisionGroup name="ServerConfiguration"><focusFactoryUri>sip:a@b;gruu</focusFactoryUri><mrasUri>x&lt;y</mrasUri></provisionGroup>' +
        '<provisionGroup name="ucPolicy"><propertyEntryList><property name="EnableCallLogAutoArchiving">false</property></propertyEntryList></provisionGroup>' +
        '<provisionGroup name="meetingPolicy"><propertyEntryList></propertyEntryList></provisionGroup></provisionGroupList>',
    );
  });
});
