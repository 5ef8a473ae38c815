import { describe, expect, it } from 'vitest';
import { buildMsrtcPidf, buildPersonalNote, buildPidf, buildPidfMachineState, buildWatcherInfo, parsePidf, parseStateDoc } from '../src/index.js';

describe('PIDF (RFC 3863, RPID RFC 4480) as standard clients publish it', () => {
  it('reads basic, RPID activities (empty elements) and the note', () => {
    const r = parsePidf(`<?xml version="1.0"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="pres:carol@contoso.com">
  <tuple id="a"><status><basic>closed</basic></status></tuple>
  <tuple id="b"><status><basic>open</basic></status><note>Lunch</note></tuple>
  <dm:person id="p"><rpid:activities><rpid:away/><rpid:meal/></rpid:activities></dm:person>
</presence>`);
    expect(r).toEqual({ ok: true, value: { entity: 'pres:carol@contoso.com', basic: 'open', activities: ['away', 'meal'], note: 'Lunch' } });
  });

  it('reads the [MS-PRES] §4.10 form of activities', () => {
    const r = parsePidf(buildPidf({ entity: 'sip:bob@contoso.com', basic: 'open', activities: ['on-the-phone'] }));
    expect(r.ok && r.value.activities).toEqual(['on-the-phone']);
  });

  it('refuses what is not PIDF', () => {
    expect(parsePidf('<presence entity="x"/>').ok).toBe(false);
    expect(parsePidf('<presence xmlns="urn:ietf:params:xml:ns:pidf"/>').ok).toBe(false);
    expect(parsePidf('<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="x"><tuple id="t"><status><basic>maybe</basic></status></tuple></presence>').ok).toBe(false);
    expect(parsePidf('<!DOCTYPE x><presence/>').ok).toBe(false);
    expect(parsePidf('').ok).toBe(false);
  });

  it('escapes what it writes', () => {
    expect(buildPidf({ entity: 'sip:a&b@contoso.com', basic: 'closed', activities: [], displayName: '<A>' })).toBe(
      '<?xml version="1.0" encoding="utf-8"?>\r\n<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:ep="urn:ietf:params:xml:ns:pidf:status:rpid-status" xmlns:et="urn:ietf:params:xml:ns:pidf:rpid-tuple" xmlns:ci="urn:ietf:params:xml:ns:pidf:cipid" entity="sip:a&amp;b@contoso.com"><tuple id="0"><status><basic>closed</basic></status></tuple><ci:display-name>&lt;A&gt;</ci:display-name></presence>',
    );
  });
});

describe('MSRTC presentity ([MS-PRES] §2.2.2.9)', () => {
  it('writes the elements in the order of §4.11', () => {
    expect(buildMsrtcPidf({ uri: 'bob@contoso.com', availabilityAggregate: 300, activityAggregate: 400, avail: 3500, state: 'online', displayName: 'Bob', email: 'bob@contoso.com', phoneNumber: '+1 (123) 4567890 X67890' })).toBe(
      '<presentity uri="bob@contoso.com" xmlns="http://schemas.microsoft.com/2002/09/sip/presence" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><availability aggregate="300"/><activity aggregate="400"/><displayName displayName="Bob"/><email email="bob@contoso.com"/><phoneNumber number="+1 (123) 4567890 X67890"/><aggregate><states><state avail="3500" xsi:type="userState">online</state></states></aggregate></presentity>',
    );
  });
});

describe('watcherinfo (RFC 3858 §5)', () => {
  it('is a full document with one watcher-list', () => {
    expect(buildWatcherInfo('sip:carol@contoso.com', 2, [{ id: 'w1', uri: 'sip:john@contoso.com', status: 'active', event: 'approved', displayName: 'John' }])).toBe(
      '<?xml version="1.0"?>\r\n<watcherinfo xmlns="urn:ietf:params:xml:ns:watcherinfo" version="2" state="full"><watcher-list resource="sip:carol@contoso.com" package="presence"><watcher id="w1" status="active" event="approved" display-name="John">sip:john@contoso.com</watcher></watcher-list></watcherinfo>',
    );
  });
});

describe('the instances a PIDF publication becomes', () => {
  it('a machineState the aggregation reads back', () => {
    expect(parseStateDoc(buildPidfMachineState(6500, 'on-the-phone'))).toMatchObject({ type: 'machineState', manual: false, availability: 6500, activities: [{ token: 'on-the-phone' }] });
    expect(buildPersonalNote('a<b')).toBe('<note xmlns="http://schemas.microsoft.com/2006/09/sip/note"><body type="personal" uri="">a&lt;b</body></note>');
  });
});
