export { err, ok, SIP_ERR, SIP_ERR_STATUS, SipFramingError, SipParseError, TransactionStateError, type Result, type SipErrorCode } from './errors.js';
export { DEFAULT_LIMITS, type SipLimits } from './limits.js';
export type { SipHeader, SipMessage, SipRequest, SipResponse } from './message.js';
export { canonicalName, getHeader, getHeaders, optionTags, splitList, withoutHeader } from './headers.js';
export { formatParams, param, parseParams, quote, unquote, type Params } from './params.js';
export { addressOfRecord, formatUri, parseUri, uriParam, type SipUri } from './uri.js';
export { formatNameAddr, parseNameAddr, tagOf, type NameAddr } from './name-addr.js';
export { BRANCH_MAGIC_COOKIE, branchOf, formatVia, parseVia, type Via } from './via.js';
export { checkRequest, cseqOf, parseMessage, type ParseOptions } from './parser.js';
export { SipFramer, type FrameEvent } from './framer.js';
export { serialize, serializeTextRequest } from './serializer.js';
export { callIdOf, createResponse, randomToken, REASON, type ResponseOptions } from './response.js';
export {
  checkDigestResponse,
  DIGEST_ALGORITHMS,
  digestChallenge,
  digestResponse,
  digestResponseFromHa1,
  digestHa1,
  checkDigestResponseHa1,
  digestUriMatches,
  digestUriNamesServer,
  nonceCount,
  NonceService,
  parseDigestCredentials,
  type Clock,
  type DigestAlgorithm,
  type DigestCredentials,
  type NonceCheck,
  type NonceVerdict,
} from './digest.js';
export { DEFAULT_TIMER_VALUES, realTimers, type TimerValues, type Timers, type TransactionTransport } from './transactions/timers.js';
export { NonInviteServerTransaction, type NistState } from './transactions/non-invite-server-transaction.js';
export { NonInviteClientTransaction, type NictState, type NictUser } from './transactions/non-invite-client-transaction.js';
