/**
 * RFC 6120 §4.9.3 stream error conditions this edge sends. A stream error is unrecoverable: the
 * stream and its connection close right after it (§4.9.1.1).
 */
export type StreamErrorCondition =
  | 'bad-format'
  | 'conflict'
  | 'connection-timeout'
  | 'host-unknown'
  | 'internal-server-error'
  | 'invalid-namespace'
  | 'not-authorized'
  | 'not-well-formed'
  | 'policy-violation'
  | 'resource-constraint'
  | 'restricted-xml'
  | 'system-shutdown'
  | 'unsupported-stanza-type'
  | 'unsupported-version';

/** Bytes from a client that end its stream: not XML, restricted XML (§11.1), too large, wrong namespace. */
export class XmppStreamError extends Error {
  constructor(
    readonly condition: StreamErrorCondition,
    message: string,
  ) {
    super(message);
    this.name = 'XmppStreamError';
  }
}

/** RFC 6120 §6.5 SASL failure conditions. */
export type SaslCondition = 'aborted' | 'incorrect-encoding' | 'invalid-authzid' | 'invalid-mechanism' | 'malformed-request' | 'mechanism-too-weak' | 'not-authorized' | 'temporary-auth-failure' | 'encryption-required';

/** A SASL exchange that failed; the stream stays open and the client may try again (§6.4.5). */
export class SaslError extends Error {
  constructor(
    readonly condition: SaslCondition,
    message: string,
  ) {
    super(message);
    this.name = 'SaslError';
  }
}
