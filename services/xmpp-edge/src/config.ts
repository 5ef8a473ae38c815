import { edgeEnv } from '@presence/sip-edge';
import { env, loadConfig, type ConfigOf } from '@presence/telemetry';

/** The XMPP edge's settings (README "XMPP"). TLS uses the SIP edge's certificate settings. */
export const xmppEnv = {
  XMPP_PORT: env.port({ default: 5222, doc: 'XMPP client-to-server (RFC 6120) with STARTTLS.' }),
  XMPP_HOST: env.string({ default: '0.0.0.0', doc: 'Address the XMPP listener binds to.' }),
  XMPP_MAX_STANZA_BYTES: env.int({ default: 65_536, min: 1024, max: 16_777_216, doc: 'Largest stanza (characters of its XML); a larger one ends the stream with policy-violation.' }),
  XMPP_AUTH_TIMEOUT_MS: env.int({ default: 30_000, min: 100, max: 3_600_000, doc: 'A connection must have authenticated and bound a resource within this, or its stream ends (connection-timeout).' }),
  XMPP_IDLE_TIMEOUT_MS: env.int({ default: 600_000, min: 1000, max: 86_400_000, doc: 'A signed-in stream with no traffic (not even a whitespace ping) for this long is closed.' }),
  XMPP_STANZAS_PER_S: env.int({ default: 20, min: 1, max: 1_000_000, doc: 'Stanzas one connection may send per second once XMPP_STANZA_BURST is spent; more end the stream (policy-violation).' }),
  XMPP_STANZA_BURST: env.int({ default: 200, min: 1, max: 1_000_000, doc: 'Stanzas one connection may send at once.' }),
  XMPP_AUTH_MAX_FAILURES_PER_USER: env.int({ default: 10, min: 1, max: 1_000_000, doc: 'Failed sign-ins for one user within XMPP_AUTH_FAILURE_WINDOW_MS before further ones are refused (temporary-auth-failure), right password or not.' }),
  XMPP_AUTH_MAX_FAILURES_PER_SOURCE: env.int({ default: 30, min: 1, max: 1_000_000, doc: 'Failed sign-ins from one address within XMPP_AUTH_FAILURE_WINDOW_MS before further ones are refused.' }),
  XMPP_AUTH_FAILURE_WINDOW_MS: env.int({ default: 300_000, min: 1000, max: 86_400_000, doc: 'The sliding window failed sign-ins are counted in.' }),
  XMPP_CONTACT_CONTAINER: env.int({ default: 200, min: 1, max: 32_767, doc: 'Container a roster addition or subscription approval puts the contact in ([MS-PRES] §1.3.1.3.5; 200 = Lync colleagues, the view of §3.8.5.1.2.7).' }),
  XMPP_BOSH_INACTIVITY_S: env.int({ default: 60, min: 5, max: 3600, doc: 'A BOSH session with no request for this long ends (XEP-0124 §7 inactivity).' }),
  XMPP_BOSH_MAX_WAIT_S: env.int({ default: 60, min: 1, max: 300, doc: 'Longest a BOSH request is held waiting for data (XEP-0124 wait).' }),
  SIP_TLS_CERT_FILE: edgeEnv.SIP_TLS_CERT_FILE,
  SIP_TLS_KEY_FILE: edgeEnv.SIP_TLS_KEY_FILE,
};

export type XmppConfig = ConfigOf<typeof xmppEnv>;

export function loadXmppConfig(source: NodeJS.ProcessEnv): XmppConfig {
  return loadConfig(xmppEnv, source);
}
