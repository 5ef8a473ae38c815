/** The store's connection is down or did not answer; the request can be retried later (SIP 503). */
export class StoreUnavailableError extends Error {
  readonly code = 'STATE_ERR_UNAVAILABLE';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

/** A change list breaks the store's rules (programmer error): thrown, never a conflict. */
export class InvalidChangeError extends Error {
  readonly code = 'STATE_ERR_INVALID_CHANGE';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidChangeError';
  }
}
