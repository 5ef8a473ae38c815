import { describe, expect, it } from 'vitest';
import { buildContactCard, buildUserProperties, telUri } from '../src/index.js';

describe('contactCard from the directory ([MS-PRES] §2.2.2.7.5, schema order of §7.3)', () => {
  it('carries address, company, title, office and work phone after the identity, in schema order', () => {
    const xml = buildContactCard('Alice Example', 'alice@contoso.com', { company: 'Contoso & Co', title: 'Lead', office: '42/1234', phone: '+1 (425) 555-0100 x123', city: 'Redmond', state: 'WA', country: 'us' });
    expect(xml).toBe(
      '<contactCard xmlns="http://schemas.microsoft.com/2006/09/sip/contactcard"><identity><name><displayName>Alice Example</displayName></name><email>alice@contoso.com</email></identity>' +
        '<address type="work"><city>Redmond</city><state>WA</state><countryCode>US</countryCode></address><company>Contoso &amp; Co</company><title>Lead</title><office>42/1234</office>' +
        '<phone type="work"><uri>tel:+14255550100;ext=123</uri><displayString>+1 (425) 555-0100 x123</displayString></phone></contactCard>',
    );
  });

  it('leaves out what the directory does not hold, and a country that is not a two-letter code', () => {
    expect(buildContactCard('Bob', undefined, { country: 'United States' })).toBe('<contactCard xmlns="http://schemas.microsoft.com/2006/09/sip/contactcard"><identity><name><displayName>Bob</displayName></name></identity></contactCard>');
  });

  it('normalizes phone numbers to tel URIs; none without digits', () => {
    expect(telUri('+1 (555) 555555 X55555')).toBe('tel:+1555555555;ext=55555');
    expect(telUri('4255550100')).toBe('tel:4255550100');
    expect(telUri('reception')).toBeUndefined();
    expect(buildUserProperties({ telephone: 'tel:+14255550100' })).toBe('<userProperties xmlns="http://schemas.microsoft.com/2006/09/sip/categories"><lines><line lineType="Uc" lineServer="">tel:+14255550100</line></lines></userProperties>');
  });
});
