import { mechanisms, NS_SASL } from './sasl.js';
import { el, type XmlElement } from './xml.js';

export const NS_TLS = 'urn:ietf:params:xml:ns:xmpp-tls';
export const NS_BIND = 'urn:ietf:params:xml:ns:xmpp-bind';
export const NS_SESSION = 'urn:ietf:params:xml:ns:xmpp-session';
export const NS_STREAMS_ERR = 'urn:ietf:params:xml:ns:xmpp-streams';

/** Where a stream is in its negotiation (RFC 6120 §4.3): TLS, then SASL, then resource binding. */
export type Phase = 'plain' | 'encrypted' | 'authenticated' | 'bound';

/** `<stream:features/>` for a phase (RFC 6120 §4.3.2; STARTTLS mandatory-to-negotiate, §5.3.1). */
export function featuresFor(phase: Phase, encrypted: boolean): XmlElement {
  switch (phase) {
    case 'plain':
      return el('stream:features', {}, el('starttls', { xmlns: NS_TLS }, el('required')));
    case 'encrypted':
      return el('stream:features', {}, el('mechanisms', { xmlns: NS_SASL }, ...mechanisms(encrypted).map((m) => el('mechanism', {}, m))));
    default:
      // RFC 6121 Appendix E (session establishment) is offered as optional for older clients.
      return el('stream:features', {}, el('bind', { xmlns: NS_BIND }), el('session', { xmlns: NS_SESSION }, el('optional')));
  }
}
