import { TransactionStateError } from '../errors.js';
import type { SipResponse } from '../message.js';
import { serialize } from '../serializer.js';
import { DEFAULT_TIMER_VALUES, realTimers, type TimerValues, type Timers, type TransactionTransport } from './timers.js';

export type NistState = 'trying' | 'proceeding' | 'completed' | 'terminated';

/**
 * Non-INVITE server transaction, RFC 3261 §17.2.2. Created when a request arrives; absorbs
 * retransmissions of it, and re-sends the last response to each, until Timer J ends it.
 */
export class NonInviteServerTransaction {
  private _state: NistState = 'trying';
  private last: Buffer | undefined;
  private timerJ: unknown;

  constructor(
    readonly id: string,
    private readonly transport: TransactionTransport,
    private readonly onTerminated: (t: NonInviteServerTransaction) => void,
    private readonly timers: Timers = realTimers,
    private readonly values: TimerValues = DEFAULT_TIMER_VALUES,
  ) {}

  get state(): NistState {
    return this._state;
  }

  /** A retransmission of the request arrived (the transport layer matched it to this transaction). */
  receiveRequest(): void {
    switch (this._state) {
      case 'trying':
        // "Once in the Trying state, any further request retransmissions are discarded."
        return;
      case 'proceeding':
      case 'completed':
        // "If a retransmission of the request is received while in the Proceeding/Completed state,
        // the most recently sent provisional/final response MUST be passed to the transport layer."
        if (this.last) this.transport.send(this.last);
        return;
      case 'terminated':
        return;
    }
  }

  /** The TU's response. RFC 4320: no provisional response other than 100 for non-INVITE requests. */
  respond(response: SipResponse): void {
    if (this._state === 'completed' || this._state === 'terminated') {
      throw new TransactionStateError(`cannot send ${response.status} in state ${this._state}`);
    }
    if (response.status < 200 && response.status !== 100) {
      throw new TransactionStateError(`RFC 4320: no ${response.status} for a non-INVITE request`);
    }
    this.last = serialize(response);
    this.transport.send(this.last);
    this.transition(response.status < 200 ? 'proceeding' : 'completed');
  }

  private transition(to: NistState): void {
    const allowed: Record<NistState, NistState[]> = {
      trying: ['proceeding', 'completed', 'terminated'],
      proceeding: ['proceeding', 'completed', 'terminated'],
      completed: ['terminated'],
      terminated: [],
    };
    if (!allowed[this._state].includes(to)) throw new TransactionStateError(`invalid transition ${this._state} -> ${to}`);
    this._state = to;
    if (to === 'completed') {
      // Timer J: 64*T1 for unreliable transports, zero for reliable ones (§17.2.2).
      const j = this.transport.reliable ? 0 : 64 * this.values.T1;
      if (j === 0) this.transition('terminated');
      else this.timerJ = this.timers.set(() => this.transition('terminated'), j);
    } else if (to === 'terminated') {
      if (this.timerJ !== undefined) this.timers.clear(this.timerJ);
      this.onTerminated(this);
    }
  }
}
