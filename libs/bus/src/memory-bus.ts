import type { Bus, BusSubscription, CommandHandler, ConsumeOptions, EventHandler, HandleOptions, PublishOptions, RequestOptions } from './bus.js';
import { decode, encode, serveValue, unwrapEnvelope, type ReplyEnvelope } from './codec.js';
import type { CommandDef, EventDef } from './contract.js';
import { BusClosedError, BusTimeoutError, NoRespondersError, UndeclaredConsumerError } from './errors.js';
import { durableName } from './subjects.js';
import { settleWithin } from './drain.js';
import { BusMetrics, mapCarrier, receiveSpan, sendSpan, SpanKind } from './trace.js';

/** Delivery settings shared by both buses; see {@link NatsBusOptions}. */
export interface EventDeliveryOptions {
  /** A delivery not acknowledged within this time is given to another instance. Default 30 s. */
  ackWaitMs?: number;
  /** Deliveries before an event is given up (logged and dropped). Default 20. */
  maxDeliver?: number;
  /** On close, how long to wait for in-flight handlers. Default 3 s. */
  drainTimeoutMs?: number;
  /** Window in which a repeated message id is dropped. Default 2 min. */
  duplicateWindowMs?: number;
}

/**
 * How the in-process bus hands payloads over. `reference` (default): the object itself, as a
 * function call would (senders and handlers never mutate a payload after sending or receiving it;
 * the clustered suites run the same code over NATS, where payloads are JSON). `json`: a JSON round
 * trip, as NATS does, for tests that check what survives the wire.
 */
export type MemoryWire = 'reference' | 'json';

/** Most message ids remembered for de-duplication; the oldest are forgotten first beyond it. */
const MAX_REMEMBERED_IDS = 500_000;

export interface MemoryBusOptions extends EventDeliveryOptions {
  requestTimeoutMs?: number;
  /** Called when an event is given up after maxDeliver attempts. */
  onDeadLetter?: (event: string, consumer: string, msgId: string, error: unknown) => void;
}

type Wire = { data: unknown; headers: Map<string, string> | undefined };

interface Responder {
  queue: string | undefined;
  reply(msg: Wire): Promise<ReplyEnvelope>;
}

interface StoredEvent {
  subject: string;
  msgId: string;
  data: unknown;
  headers: Map<string, string> | undefined;
  deliveryCount: number;
}

interface Worker {
  /** Events being handled, at most `limit` (the consumer's concurrency). */
  active: number;
  limit: number;
  stopped: boolean;
  run(e: StoredEvent): Promise<void>;
}

/** A durable consumer: keeps events for its service while no instance runs, hands each to one worker. */
class DurableQueue {
  readonly pending: StoredEvent[] = [];
  readonly workers: Worker[] = [];
  private next = 0;

  constructor(
    readonly event: string,
    readonly consumer: string,
    private readonly opts: Required<EventDeliveryOptions> & Pick<MemoryBusOptions, 'onDeadLetter'>,
  ) {}

  enqueue(e: StoredEvent): void {
    this.pending.push(e);
    this.pump();
  }

  pump(): void {
    while (this.pending.length > 0) {
      const idle = this.workers.filter((w) => w.active < w.limit && !w.stopped);
      if (idle.length === 0) return;
      const w = idle[this.next++ % idle.length]!;
      const e = this.pending.shift()!;
      this.dispatch(w, e);
    }
  }

  private dispatch(w: Worker, e: StoredEvent): void {
    w.active += 1;
    e.deliveryCount += 1;
    let settled = false;
    // Ack wait: a handler that neither resolves nor rejects in time loses the event to another worker,
    // as a JetStream consumer does when an instance hangs or dies.
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      this.retry(e, new Error('ack wait expired'), 0);
    }, this.opts.ackWaitMs);
    timer.unref?.();
    w.run(e).then(
      () => {
        w.active -= 1;
        if (!settled) {
          settled = true;
          clearTimeout(timer);
        }
        this.pump();
      },
      (err: unknown) => {
        w.active -= 1;
        if (!settled) {
          settled = true;
          clearTimeout(timer);
          this.retry(e, err, Math.min(100 * e.deliveryCount, 5000));
        }
        this.pump();
      },
    );
  }

  private retry(e: StoredEvent, err: unknown, delayMs: number): void {
    if (e.deliveryCount >= this.opts.maxDeliver) {
      this.opts.onDeadLetter?.(this.event, this.consumer, e.msgId, err);
      return;
    }
    const t = setTimeout(() => {
      this.pending.unshift(e);
      this.pump();
    }, delayMs);
    t.unref?.();
  }
}

/**
 * The in-process "wire" that {@link MemoryBus} instances share, standing in for a NATS server and
 * its JetStream streams (the fake-transporter pattern of Moleculer). One per embedded process;
 * tests create one per case.
 */
export class MemoryNetwork {
  private readonly responders = new Map<string, Responder[]>();
  private readonly rr = new Map<string, number>();
  private readonly durables = new Map<string, DurableQueue>();
  /** Message id -> when it leaves the window; insertion order is expiry order (one window for all). */
  private readonly seen = new Map<string, number>();
  /** De-duplication entries looked at so far (a test checks it stays proportional to publishes). */
  dedupExamined = 0;
  readonly delivery: Required<EventDeliveryOptions> & Pick<MemoryBusOptions, 'onDeadLetter'>;
  readonly wire: MemoryWire;

  constructor(opts: EventDeliveryOptions & Pick<MemoryBusOptions, 'onDeadLetter'> & { wire?: MemoryWire } = {}) {
    this.wire = opts.wire ?? 'reference';
    this.delivery = {
      drainTimeoutMs: opts.drainTimeoutMs ?? 3000,
      ackWaitMs: opts.ackWaitMs ?? 30_000,
      maxDeliver: opts.maxDeliver ?? 20,
      duplicateWindowMs: opts.duplicateWindowMs ?? 120_000,
      onDeadLetter: opts.onDeadLetter,
    };
  }

  addResponder(subject: string, r: Responder): () => void {
    const list = this.responders.get(subject) ?? [];
    list.push(r);
    this.responders.set(subject, list);
    return () => {
      const l = this.responders.get(subject) ?? [];
      this.responders.set(
        subject,
        l.filter((x) => x !== r),
      );
    };
  }

  /** NATS semantics: every plain subscriber gets the message, one member of each queue group does. */
  pickResponders(subject: string): Responder[] {
    const list = this.responders.get(subject) ?? [];
    const picked: Responder[] = list.filter((r) => r.queue === undefined);
    const groups = new Map<string, Responder[]>();
    for (const r of list) if (r.queue !== undefined) groups.set(r.queue, [...(groups.get(r.queue) ?? []), r]);
    for (const [q, members] of groups) {
      const key = `${subject}\u0000${q}`;
      const n = this.rr.get(key) ?? 0;
      this.rr.set(key, n + 1);
      picked.push(members[n % members.length]!);
    }
    return picked;
  }

  durable(pool: string, event: string, consumer: string): DurableQueue {
    const key = `${pool}\u0000${durableName(consumer, event)}`;
    let d = this.durables.get(key);
    if (!d) {
      d = new DurableQueue(event, consumer, this.delivery);
      this.durables.set(key, d);
    }
    return d;
  }

  /**
   * True the first time a message id is seen within the duplicate window. Every id gets the same
   * window, so the map's insertion order is its expiry order: expired ids are dropped from the front
   * only, and the cost per publish does not depend on how many ids are remembered.
   */
  firstSeen(pool: string, msgId: string, now = Date.now()): boolean {
    for (const [k, exp] of this.seen) {
      this.dedupExamined++;
      if (exp > now && this.seen.size < MAX_REMEMBERED_IDS) break;
      this.seen.delete(k);
    }
    const key = `${pool}\u0000${msgId}`;
    if (this.seen.has(key)) return false;
    this.seen.set(key, now + this.delivery.duplicateWindowMs);
    return true;
  }

  /** How many message ids are remembered for de-duplication now. */
  get rememberedIds(): number {
    return this.seen.size;
  }

  /** What the receiver gets of a value sent: itself, or what a JSON round trip leaves of it. */
  carry<T>(subject: string, value: T): T {
    return this.wire === 'reference' ? value : (decode(subject, encode(value)) as T);
  }
}

/** The in-process {@link Bus}: embedded mode and unit tests. */
export class MemoryBus implements Bus {
  private closed = false;
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly subs = new Set<BusSubscription>();
  private readonly requestTimeoutMs: number;
  private readonly drainTimeoutMs: number;
  private readonly metrics = new BusMetrics();

  constructor(
    readonly network: MemoryNetwork = new MemoryNetwork(),
    opts: Pick<MemoryBusOptions, 'requestTimeoutMs' | 'drainTimeoutMs'> = {},
  ) {
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 5000;
    this.drainTimeoutMs = opts.drainTimeoutMs ?? 3000;
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p)).catch(() => undefined);
    return p;
  }

  async request<Req, Res>(cmd: CommandDef<Req, Res>, scope: string, payload: Req, opts: RequestOptions = {}): Promise<Res> {
    if (this.closed) throw new BusClosedError();
    const subject = cmd.subject(scope);
    const timeoutMs = opts.timeoutMs ?? this.requestTimeoutMs;
    const carrier = mapCarrier();
    return this.metrics.timeRequest(cmd.name, () =>
      sendSpan(`send ${cmd.name}`, SpanKind.CLIENT, subject, carrier, async () => {
        const responders = this.network.pickResponders(subject);
        if (responders.length === 0) throw new NoRespondersError(subject);
        const msg: Wire = { data: this.network.carry(subject, payload), headers: carrier.map.size > 0 ? carrier.map : undefined };
        const reply = await new Promise<ReplyEnvelope>((resolve, reject) => {
          const t = setTimeout(() => reject(new BusTimeoutError(subject, timeoutMs)), timeoutMs);
          for (const r of responders) {
            r.reply(msg).then(
              (d) => {
                clearTimeout(t);
                resolve(d);
              },
              () => undefined,
            );
          }
        });
        return unwrapEnvelope<Res>(subject, this.network.carry(subject, reply));
      }),
    );
  }

  async handle<Req, Res>(
    cmd: CommandDef<Req, Res>,
    scope: string,
    handler: CommandHandler<Req, Res>,
    opts: HandleOptions = {},
  ): Promise<BusSubscription> {
    if (this.closed) throw new BusClosedError();
    const subject = cmd.subject(scope);
    const responder: Responder = {
      queue: opts.queue ?? cmd.queue,
      reply: (msg) =>
        this.track(
          // A microtask, not a turn of the event loop: the handler runs after the caller's
          // synchronous code, as a remote one would, at the cost of a function call.
          Promise.resolve().then(async () => {
            return serveValue(cmd, subject, handler, () => msg.data as Req, msg.headers ? mapCarrier(msg.headers) : undefined);
          }),
        ),
    };
    const remove = this.network.addResponder(subject, responder);
    const sub: BusSubscription = {
      stop: async () => {
        remove();
        this.subs.delete(sub);
      },
    };
    this.subs.add(sub);
    return sub;
  }

  async publish<P>(evt: EventDef<P>, pool: string, payload: P, opts: PublishOptions): Promise<void> {
    if (this.closed) throw new BusClosedError();
    const subject = evt.subject(pool);
    const carrier = mapCarrier();
    await sendSpan(`publish ${evt.name}`, SpanKind.PRODUCER, subject, carrier, async () => {
      if (!this.network.firstSeen(pool, opts.msgId)) return;
      const data = this.network.carry(subject, payload);
      for (const consumer of evt.consumers) {
        this.network
          .durable(pool, evt.name, consumer)
          .enqueue({ subject, msgId: opts.msgId, data, headers: carrier.map.size > 0 ? new Map(carrier.map) : undefined, deliveryCount: 0 });
      }
    });
    this.metrics.publish(evt.name);
  }

  async consume<P>(evt: EventDef<P>, pool: string, consumer: string, handler: EventHandler<P>, opts: ConsumeOptions = {}): Promise<BusSubscription> {
    if (this.closed) throw new BusClosedError();
    if (!evt.consumers.includes(consumer)) throw new UndeclaredConsumerError(evt.name, consumer);
    const queue = this.network.durable(pool, evt.name, consumer);
    const worker: Worker = {
      active: 0,
      limit: Math.max(1, opts.concurrency ?? 1),
      stopped: false,
      run: (e) =>
        this.track(
          receiveSpan(`process ${evt.name}`, SpanKind.CONSUMER, e.subject, e.headers ? mapCarrier(e.headers) : undefined, async () => {
            try {
              await handler(e.data as P, { msgId: e.msgId, deliveryCount: e.deliveryCount });
              this.metrics.handle(evt.name, consumer, 'ack');
            } catch (err) {
              this.metrics.handle(evt.name, consumer, 'retry');
              throw err;
            }
          }),
        ),
    };
    queue.workers.push(worker);
    queue.pump();
    const sub: BusSubscription = {
      stop: async () => {
        worker.stopped = true;
        const i = queue.workers.indexOf(worker);
        if (i >= 0) queue.workers.splice(i, 1);
        this.subs.delete(sub);
      },
    };
    this.subs.add(sub);
    return sub;
  }

  async check(): Promise<void> {
    if (this.closed) throw new BusClosedError();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subs].map((s) => s.stop()));
    await settleWithin(this.inflight, this.drainTimeoutMs);
  }
}
