import { describe, expect, it } from 'vitest';
import { parsePartners } from '../src/partner-config.js';

describe('PRESENCE_FEDERATION_PARTNERS (issue 14 item 5)', () => {
  it('reads domain=sip:host[:port][;transport=tls|tcp] entries, TLS and its port by default', () => {
    expect(parsePartners('fabrikam.com=sip:edge.fabrikam.com, Example.ORG=sip:10.0.0.5:5070;transport=tcp, v6.example=sip:[::1]:5071;transport=tls')).toEqual([
      { domain: 'fabrikam.com', host: 'edge.fabrikam.com', port: 5061, transport: 'tls' },
      { domain: 'example.org', host: '10.0.0.5', port: 5070, transport: 'tcp' },
      { domain: 'v6.example', host: '::1', port: 5071, transport: 'tls' },
    ]);
    expect(parsePartners(undefined)).toEqual([]);
    expect(parsePartners('  ')).toEqual([]);
  });

  it.each(['fabrikam.com', 'fabrikam.com=edge.fabrikam.com', 'fabrikam.com=sip:bob@edge.fabrikam.com', 'fabrikam.com=sip:edge;transport=udp', '=sip:edge'])(
    'refuses %j with a message naming the variable',
    (raw) => {
      expect(() => parsePartners(raw)).toThrow(/PRESENCE_FEDERATION_PARTNERS|partner/);
    },
  );
});
