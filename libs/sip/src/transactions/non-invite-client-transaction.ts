import type { SipResponse } from '../message.js';
import { DEFAULT_TIMER_VALUES, realTimers, type TimerValues, type Timers, type TransactionTransport } from './timers.js';

export type NictState = 'trying' | 'proceeding' | 'completed' | 'terminated';

export interface NictUser {
  /** The final response (called once). */
  onFinal(response: SipResponse): void;
  /** Timer F fired: no final response (RFC 3261 §17.1.2.2); callers treat it as a 408. */
  onTimeout(): void;
}

/**
 * Non-INVITE client transaction, RFC 3261 §17.1.2: sends the request, retransmits it on unreliable
 * transports (Timer E, T1 doubling up to T2), gives up after Timer F (64*T1), and absorbs response
 * retransmissions for Timer K. Used for NOTIFY; BENOTIFY is sent without one (no response comes).
 */
export class NonInviteClientTransaction {
  private _state: NictState = 'trying';
  private timerE: unknown;
  private timerF: unknown;
  private timerK: unknown;
  private interval: number;

  constructor(
    readonly id: string,
    private readonly request: Buffer,
    private readonly transport: TransactionTransport,
    private readonly user: NictUser,
    private readonly onTerminated: (t: NonInviteClientTransaction) => void,
    private readonly timers: Timers = realTimers,
    private readonly values: TimerValues = DEFAULT_TIMER_VALUES,
  ) {
    this.interval = values.T1;
  }

  get state(): NictState {
    return this._state;
  }

  start(): void {
    this.transport.send(this.request);
    if (!this.transport.reliable) this.timerE = this.timers.set(() => this.retransmit(), this.interval);
    this.timerF = this.timers.set(() => this.timeout(), 64 * this.values.T1);
  }

  private retransmit(): void {
    if (this._state !== 'trying' && this._state !== 'proceeding') return;
    this.transport.send(this.request);
    // Timer E doubles up to T2 in Trying; in Proceeding it fires every T2 (§17.1.2.2).
    this.interval = this._state === 'trying' ? Math.min(2 * this.interval, this.values.T2) : this.values.T2;
    this.timerE = this.timers.set(() => this.retransmit(), this.interval);
  }

  private timeout(): void {
    if (this._state !== 'trying' && this._state !== 'proceeding') return;
    this.terminate();
    this.user.onTimeout();
  }

  receiveResponse(response: SipResponse): void {
    if (this._state === 'completed' || this._state === 'terminated') return; // retransmission: absorbed
    if (response.status < 200) {
      this._state = 'proceeding';
      return;
    }
    this._state = 'completed';
    this.timers.clear(this.timerE);
    this.timers.clear(this.timerF);
    this.user.onFinal(response);
    const k = this.transport.reliable ? 0 : this.values.T4;
    if (k === 0) this.terminate();
    else this.timerK = this.timers.set(() => this.terminate(), k);
  }

  /** Ends the transaction without reporting anything (its connection is gone; the caller reports that). */
  abort(): void {
    this.terminate();
  }

  private terminate(): void {
    if (this._state === 'terminated') return;
    this._state = 'terminated';
    if (this.timerE !== undefined) this.timers.clear(this.timerE);
    if (this.timerF !== undefined) this.timers.clear(this.timerF);
    if (this.timerK !== undefined) this.timers.clear(this.timerK);
    this.onTerminated(this);
  }
}
