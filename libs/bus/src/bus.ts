import type { CommandDef, EventDef } from './contract.js';

/** Metadata of a command delivered to a handler. */
export interface CommandContext {
  readonly subject: string;
}

export type CommandHandler<Req, Res> = (payload: Req, ctx: CommandContext) => Promise<Res> | Res;

/** Metadata of an event delivery. */
export interface EventDelivery {
  readonly msgId: string;
  /** 1 for the first delivery; more after a failed handler or a crashed consumer. */
  readonly deliveryCount: number;
}

/**
 * Handles one event. Resolving acknowledges it; rejecting (or the process dying before it resolves)
 * gets it delivered again, to this or another instance of the same service. Handlers must therefore
 * be idempotent.
 */
export type EventHandler<P> = (payload: P, delivery: EventDelivery) => Promise<void>;

export interface RequestOptions {
  /** Default: the bus's request timeout. */
  timeoutMs?: number;
}

export interface HandleOptions {
  /** Queue group; default the command's service, so N instances share the work. */
  queue?: string;
}

export interface PublishOptions {
  /** De-duplication id: a second publish with the same id within the window is dropped. */
  msgId: string;
}

export interface ConsumeOptions {
  /**
   * Events one instance handles at once (default 1: one after the other). More lets a handler that
   * waits on I/O gather the events that arrive meanwhile, e.g. to work on them as a batch.
   */
  concurrency?: number;
}

/** Stops one handler or consumer. In-flight work finishes; unacknowledged events are redelivered. */
export interface BusSubscription {
  stop(): Promise<void>;
}

/**
 * The typed contract between services. Two implementations: {@link NatsBus} (clustered) and
 * {@link MemoryBus} (embedded mode and unit tests); one contract test suite runs against both.
 *
 * Payloads cross the bus as JSON in both implementations, so what works embedded works clustered.
 * W3C trace context travels in message headers in both.
 */
export interface Bus {
  request<Req, Res>(cmd: CommandDef<Req, Res>, scope: string, payload: Req, opts?: RequestOptions): Promise<Res>;
  handle<Req, Res>(cmd: CommandDef<Req, Res>, scope: string, handler: CommandHandler<Req, Res>, opts?: HandleOptions): Promise<BusSubscription>;
  publish<P>(evt: EventDef<P>, pool: string, payload: P, opts: PublishOptions): Promise<void>;
  /** Consumes `evt` as `consumer` (a declared consumer service); instances of one service share the events. */
  consume<P>(evt: EventDef<P>, pool: string, consumer: string, handler: EventHandler<P>, opts?: ConsumeOptions): Promise<BusSubscription>;
  /** Resolves when the bus's connection answers now (used by /readyz). */
  check(): Promise<void>;
  /** Drains: stops taking work, lets in-flight handlers finish, then disconnects. */
  close(): Promise<void>;
}
