/**
 * Failures of the web API, one class per failure mode, each with its stable `code`, HTTP status
 * and RFC 9457 problem type. The route layer turns any of them into `application/problem+json`.
 */
export abstract class WebProblem extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  /** Headers the answer carries (Retry-After, WWW-Authenticate). */
  headers(): Record<string, string> {
    return {};
  }
}

/** No credentials, a bad or expired token, or a wrong password (401). */
export class UnauthorizedError extends WebProblem {
  readonly status = 401;
  readonly code = 'WEB_ERR_UNAUTHORIZED';
  override headers(): Record<string, string> {
    return { 'www-authenticate': 'Bearer realm="presence"' };
  }
}

/** A valid token of a user who may not do this (disabled or removed from the directory) (403). */
export class ForbiddenError extends WebProblem {
  readonly status = 403;
  readonly code = 'WEB_ERR_FORBIDDEN';
}

/** The named thing does not exist (404). */
export class NotFoundError extends WebProblem {
  readonly status = 404;
  readonly code = 'WEB_ERR_NOT_FOUND';
}

/** The request is well-formed JSON but its values are refused (400). */
export class BadRequestError extends WebProblem {
  readonly status = 400;
  readonly code = 'WEB_ERR_BAD_REQUEST';
  constructor(
    message: string,
    readonly errors?: readonly { path: string; message: string }[],
  ) {
    super(message);
  }
}

/** The change conflicts with the current state (409): e.g. the contact list changed meanwhile. */
export class ConflictError extends WebProblem {
  readonly status = 409;
  readonly code = 'WEB_ERR_CONFLICT';
}

/** The user made too many requests (429). */
export class RateLimitedError extends WebProblem {
  readonly status = 429;
  readonly code = 'WEB_ERR_RATE_LIMITED';
  constructor(
    message: string,
    readonly retryAfterS: number,
  ) {
    super(message);
  }
  override headers(): Record<string, string> {
    return { 'retry-after': String(this.retryAfterS) };
  }
}

/** The service is starting, or a service behind it did not answer (503). */
export class UnavailableError extends WebProblem {
  readonly status = 503;
  readonly code = 'WEB_ERR_UNAVAILABLE';
  override headers(): Record<string, string> {
    return { 'retry-after': '1' };
  }
}

/** A service answered the web endpoint's request with a failure the API cannot map (502). */
export class UpstreamError extends WebProblem {
  readonly status = 502;
  readonly code = 'WEB_ERR_UPSTREAM';
}

/** The RFC 9457 body of a problem. */
export function problemBody(p: { status: number; code: string; message: string; errors?: readonly unknown[] }, instance?: string): Record<string, unknown> {
  return {
    type: `urn:presence:problem:${p.code.toLowerCase().replace(/_/g, '-')}`,
    title: p.message,
    status: p.status,
    code: p.code,
    ...(instance ? { instance } : {}),
    ...(p.errors ? { errors: p.errors } : {}),
  };
}
