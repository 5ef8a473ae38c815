/**
 * SIP error codes: the stable contract tests and log queries match on. Each maps to one SIP
 * status for the response the edge sends (when it can send one at all).
 */
export const SIP_ERR = {
  PARSE_START_LINE: 'SIP_ERR_PARSE_START_LINE',
  PARSE_HEADER: 'SIP_ERR_PARSE_HEADER',
  PARSE_VERSION: 'SIP_ERR_PARSE_VERSION',
  PARSE_MISSING_HEADER: 'SIP_ERR_PARSE_MISSING_HEADER',
  PARSE_BAD_HEADER_VALUE: 'SIP_ERR_PARSE_BAD_HEADER_VALUE',
  PARSE_TRUNCATED_BODY: 'SIP_ERR_PARSE_TRUNCATED_BODY',
  PARSE_ENCODING: 'SIP_ERR_PARSE_ENCODING',
  LIMIT_LINE_TOO_LONG: 'SIP_ERR_LIMIT_LINE_TOO_LONG',
  LIMIT_TOO_MANY_HEADERS: 'SIP_ERR_LIMIT_TOO_MANY_HEADERS',
  LIMIT_HEADERS_TOO_LARGE: 'SIP_ERR_LIMIT_HEADERS_TOO_LARGE',
  LIMIT_BODY_TOO_LARGE: 'SIP_ERR_LIMIT_BODY_TOO_LARGE',
  FRAMING_CONTENT_LENGTH: 'SIP_ERR_FRAMING_CONTENT_LENGTH',
  URI: 'SIP_ERR_URI',
} as const;

export type SipErrorCode = (typeof SIP_ERR)[keyof typeof SIP_ERR];

/** The SIP status each code answers with. */
export const SIP_ERR_STATUS: Readonly<Record<SipErrorCode, number>> = {
  SIP_ERR_PARSE_START_LINE: 400,
  SIP_ERR_PARSE_HEADER: 400,
  SIP_ERR_PARSE_VERSION: 505,
  SIP_ERR_PARSE_MISSING_HEADER: 400,
  SIP_ERR_PARSE_BAD_HEADER_VALUE: 400,
  SIP_ERR_PARSE_TRUNCATED_BODY: 400,
  SIP_ERR_PARSE_ENCODING: 400,
  SIP_ERR_LIMIT_LINE_TOO_LONG: 400,
  SIP_ERR_LIMIT_TOO_MANY_HEADERS: 400,
  SIP_ERR_LIMIT_HEADERS_TOO_LARGE: 400,
  SIP_ERR_LIMIT_BODY_TOO_LARGE: 413,
  SIP_ERR_FRAMING_CONTENT_LENGTH: 400,
  SIP_ERR_URI: 400,
};

/** A message (or part of one) is not valid SIP. `status` is the response it deserves. */
export class SipParseError extends Error {
  readonly status: number;
  constructor(
    readonly code: SipErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SipParseError';
    this.status = SIP_ERR_STATUS[code];
  }
}

/**
 * A byte stream cannot be split into messages (missing or bad Content-Length, header block too
 * large). The stream cannot be resynchronised: the connection is closed.
 */
export class SipFramingError extends Error {
  constructor(
    readonly code: SipErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SipFramingError';
  }
}

/** An operation is not allowed in a transaction's current state (programmer error). */
export class TransactionStateError extends Error {
  readonly code = 'SIP_ERR_TRANSACTION_STATE';
  constructor(message: string) {
    super(message);
    this.name = 'TransactionStateError';
  }
}

export type Result<T, E> = { ok: true; value: T } | { ok: false; error: E };
export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const err = <E>(error: E): Result<never, E> => ({ ok: false, error });
