import { describe, expect, it } from 'vitest';
import { buildContactCard, buildUserProperties, telUri } from '../src/index.js';

describe('server publications from the directory ([MS-PRES] §3.2.6.2)', () => {
  it('contactCard carries only the identity: displayName and email (§3.2.6.2 table)', () => {
    expect(buildContactCard('Alice & Co', 'alice@contoso.com')).toBe(
      '<contactCard xmlns="http://schemas.microsoft.com/2006/09/sip/contactcard"><identity><name><displayName>Alice &amp; Co</displayName></name><email>alice@contoso.com</email></identity></contactCard>',
    );
  });

  it('normalizes directory phone numbers to tel URIs for the userProperties line; none without digits', () => {
    expect(telUri('+1 (425) 555-0100 x123')).toBe('tel:+14255550100;ext=123');
    expect(telUri('+1 (555) 555555 X55555')).toBe('tel:+1555555555;ext=55555');
    expect(telUri('4255550100')).toBe('tel:4255550100');
    expect(telUri('reception')).toBeUndefined();
    expect(buildUserProperties({ telephone: 'tel:+14255550100' })).toBe('<userProperties xmlns="http://schemas.microsoft.com/2006/09/sip/categories"><lines><line lineType="Uc" lineServer="">tel:+14255550100</line></lines></userProperties>');
  });
});
