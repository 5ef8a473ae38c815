/** Hard limits on what the parser and framer accept; beyond them a message is refused, not parsed. */
export interface SipLimits {
  /** Bytes of start line plus headers (through the blank line). */
  maxHeaderBytes: number;
  /** Bytes of one header line (after unfolding). */
  maxLineLength: number;
  maxHeaders: number;
  /** Bytes of body. MS roaming and contact documents reach tens of KiB. */
  maxBodyBytes: number;
}

export const DEFAULT_LIMITS: Readonly<SipLimits> = Object.freeze({
  maxHeaderBytes: 32 * 1024,
  maxLineLength: 8 * 1024,
  maxHeaders: 128,
  maxBodyBytes: 256 * 1024,
});
