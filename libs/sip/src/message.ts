/**
 * SIP messages as plain data (no behaviour, no dependencies), so tests build real ones.
 * Header names are canonical (compact forms expanded, known names in their RFC spelling); values
 * are as received, unfolded and trimmed. The body is raw bytes.
 */
export interface SipHeader {
  readonly name: string;
  readonly value: string;
}

export interface SipRequest {
  readonly type: 'request';
  readonly method: string;
  readonly uri: string;
  readonly headers: readonly SipHeader[];
  readonly body: Buffer;
}

export interface SipResponse {
  readonly type: 'response';
  readonly status: number;
  readonly reason: string;
  readonly headers: readonly SipHeader[];
  readonly body: Buffer;
}

export type SipMessage = SipRequest | SipResponse;
