import type { Flow } from './flows.js';
import type { InFlight } from './in-flight.js';

/**
 * Back-pressure on a connection's reads (TCP flow control does the rest): a connection with as many
 * requests in progress as it may have is not read until one finishes, and one that went over a
 * limit (its own, its user's, the edge's) is not read for `penaltyMs`. So a client that sends
 * faster than it is served costs the edge nothing but kernel buffers: its bytes wait unread
 * instead of being parsed only to be refused. UDP has no flow control: there, refusal is all.
 */
export class ReadGate {
  private readonly penalties = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly perConnection: InFlight,
    private readonly penaltyMs: number,
  ) {}

  /** Pauses or resumes reading `flow` for what it has in progress now. */
  update(flow: Flow): void {
    if (!flow.reliable) return;
    if (this.perConnection.full(flow.id) || this.penalties.has(flow.id)) flow.pauseReading?.();
    else flow.resumeReading?.();
  }

  /** `flow` went over a limit: it is not read for a while. */
  penalize(flow: Flow): void {
    if (!flow.reliable || this.penalties.has(flow.id)) return;
    const t = setTimeout(() => {
      this.penalties.delete(flow.id);
      this.update(flow);
    }, this.penaltyMs);
    t.unref();
    this.penalties.set(flow.id, t);
    this.update(flow);
  }

  forget(flowId: string): void {
    clearTimeout(this.penalties.get(flowId));
    this.penalties.delete(flowId);
  }
}
