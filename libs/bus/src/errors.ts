/** Bus error codes: the stable contract that callers and log queries match on. */
export const BUS_ERR = {
  TIMEOUT: 'BUS_ERR_TIMEOUT',
  NO_RESPONDERS: 'BUS_ERR_NO_RESPONDERS',
  REMOTE: 'BUS_ERR_REMOTE',
  DECODE: 'BUS_ERR_DECODE',
  SUBJECT_TOKEN: 'BUS_ERR_SUBJECT_TOKEN',
  CLOSED: 'BUS_ERR_CLOSED',
  UNDECLARED_CONSUMER: 'BUS_ERR_UNDECLARED_CONSUMER',
} as const;

/** A request got no reply within its timeout. The edge turns this into 503 with Retry-After. */
export class BusTimeoutError extends Error {
  readonly code = BUS_ERR.TIMEOUT;
  constructor(readonly subject: string, readonly timeoutMs: number, options?: ErrorOptions) {
    super(`no reply on ${subject} within ${timeoutMs} ms`, options);
    this.name = 'BusTimeoutError';
  }
}

/** No instance of the target service is listening: fails at once instead of waiting for the timeout. */
export class NoRespondersError extends Error {
  readonly code = BUS_ERR.NO_RESPONDERS;
  constructor(readonly subject: string, options?: ErrorOptions) {
    super(`no service is listening on ${subject}`, options);
    this.name = 'NoRespondersError';
  }
}

/** The handler on the other side failed; `remoteCode` is the code of the error it threw. */
export class RemoteHandlerError extends Error {
  readonly code = BUS_ERR.REMOTE;
  constructor(readonly subject: string, readonly remoteCode: string, remoteMessage: string) {
    super(`handler on ${subject} failed: ${remoteCode}: ${remoteMessage}`);
    this.name = 'RemoteHandlerError';
  }
}

/** A message on the bus is not valid JSON or not a reply envelope. */
export class BusDecodeError extends Error {
  readonly code = BUS_ERR.DECODE;
  constructor(readonly subject: string, detail: string, options?: ErrorOptions) {
    super(`cannot decode message on ${subject}: ${detail}`, options);
    this.name = 'BusDecodeError';
  }
}

/**
 * A pool id, service name, edge id or operation is not a safe subject token. SIP URIs never go
 * into subjects: their dots and wildcards would change the subject's meaning.
 */
export class InvalidSubjectTokenError extends Error {
  readonly code = BUS_ERR.SUBJECT_TOKEN;
  constructor(readonly token: string, readonly role: string) {
    super(`invalid ${role} ${JSON.stringify(token)}: subject tokens are 1-64 characters of A-Z a-z 0-9 _ -`);
    this.name = 'InvalidSubjectTokenError';
  }
}

/** The bus was closed (or is draining) and takes no more work. */
export class BusClosedError extends Error {
  readonly code = BUS_ERR.CLOSED;
  constructor(options?: ErrorOptions) {
    super('the bus is closed', options);
    this.name = 'BusClosedError';
  }
}

/**
 * A service consumed an event it did not declare as a consumer of. Durable consumers are created
 * from the declarations up front, so that events published while no instance runs are kept.
 */
export class UndeclaredConsumerError extends Error {
  readonly code = BUS_ERR.UNDECLARED_CONSUMER;
  constructor(readonly event: string, readonly consumer: string) {
    super(`${consumer} is not a declared consumer of event ${event}`);
    this.name = 'UndeclaredConsumerError';
  }
}
