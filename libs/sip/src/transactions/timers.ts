/**
 * RFC 3261 §17 timer values and the timer functions, injectable so tests run them under fake time.
 */
export interface TimerValues {
  /** RTT estimate, 500 ms. */
  T1: number;
  /** Maximum retransmit interval for non-INVITE requests, 4 s. */
  T2: number;
  /** Maximum time a message remains in the network, 5 s. */
  T4: number;
}

export const DEFAULT_TIMER_VALUES: Readonly<TimerValues> = Object.freeze({ T1: 500, T2: 4000, T4: 5000 });

export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const realTimers: Timers = {
  set: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clear: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** Sends bytes to the peer; `reliable` (TCP/TLS) turns retransmissions off (RFC 3261 §17). */
export interface TransactionTransport {
  readonly reliable: boolean;
  send(bytes: Buffer): void;
}
