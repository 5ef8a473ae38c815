import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import {
  connect,
  headers as natsHeaders,
  nanos,
  NoRespondersError as NatsNoRespondersError,
  RequestError,
  TimeoutError,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type Subscription,
} from '@nats-io/transport-node';
import type { Bus, BusSubscription, ConsumeOptions, CommandHandler, EventHandler, HandleOptions, PublishOptions, RequestOptions } from './bus.js';
import { decode, encode, serveCommand, unwrapReply } from './codec.js';
import type { CommandDef, EventDef } from './contract.js';
import { BusClosedError, BusTimeoutError, NoRespondersError, UndeclaredConsumerError } from './errors.js';
import type { EventDeliveryOptions } from './memory-bus.js';
import { settleWithin } from './drain.js';
import { durableName, eventStreamName, poolEventsWildcard } from './subjects.js';
import { BusMetrics, receiveSpan, sendSpan, SpanKind, type HeaderCarrier } from './trace.js';

export interface NatsBusOptions extends EventDeliveryOptions {
  /** One URL or a comma-separated list (`nats://host:4222`). */
  servers: string;
  /** Connection name shown by the server (service and instance). */
  name: string;
  requestTimeoutMs?: number;
  /** How long JetStream keeps an event no consumer acknowledged. Default 24 h. */
  streamMaxAgeMs?: number;
  /**
   * JetStream replicas of each pool's stream; its consumers inherit them. Default: min(3, number of
   * servers in the cluster the connection reports), 1 for a single server.
   */
  streamReplicas?: number;
  /** Events fetched ahead per consumer instance. Small keeps the load shared between instances. */
  prefetch?: number;
  /** Called when an event is given up after maxDeliver attempts. */
  onDeadLetter?: (event: string, consumer: string, msgId: string, error: unknown) => void;
  /** Called on connection status changes (disconnect, reconnect), for logs. */
  onStatus?: (status: string) => void;
}

function carrierOf(h: MsgHdrs): HeaderCarrier {
  return { get: (k) => (h.has(k) ? h.get(k) : undefined), set: (k, v) => h.set(k, v), keys: () => h.keys(), system: 'nats' };
}

/**
 * Replicas for a cluster of the size the server announces: `connect_urls` lists every server of a
 * cluster (itself included). Three replicas survive the loss of one server (a quorum of 2 stays);
 * more only cost writes.
 */
export function defaultReplicas(info: { cluster?: string; connect_urls?: string[] } | undefined): number {
  if (!info?.cluster) return 1;
  return Math.max(1, Math.min(3, info.connect_urls?.length ?? 1));
}

function isNotFound(e: unknown): boolean {
  return e instanceof JetStreamApiError && (e.code === 10059 || e.code === 10014);
}

/**
 * The clustered {@link Bus} over NATS. Commands are core request/reply on queue groups; events go
 * through one JetStream stream per pool (file storage, interest retention, de-duplication window)
 * with one durable pull consumer per (consumer service, event), shared by the service's instances.
 * Durable consumers are created when a pool's event is first published or consumed, from the
 * event's declared consumers, so an event published while no instance of a consumer runs is kept
 * until one starts.
 */
export class NatsBus implements Bus {
  private readonly js: JetStreamClient;
  private readonly ensured = new Map<string, Promise<void>>();
  private readonly subs = new Set<BusSubscription>();
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly metrics = new BusMetrics();
  private closing = false;
  private readonly o: Required<Omit<NatsBusOptions, 'onDeadLetter' | 'onStatus'>> & Pick<NatsBusOptions, 'onDeadLetter'>;

  private constructor(
    readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    opts: NatsBusOptions,
  ) {
    this.js = jetstream(nc);
    this.o = {
      servers: opts.servers,
      name: opts.name,
      requestTimeoutMs: opts.requestTimeoutMs ?? 5000,
      ackWaitMs: opts.ackWaitMs ?? 30_000,
      maxDeliver: opts.maxDeliver ?? 20,
      duplicateWindowMs: opts.duplicateWindowMs ?? 120_000,
      drainTimeoutMs: opts.drainTimeoutMs ?? 3000,
      streamMaxAgeMs: opts.streamMaxAgeMs ?? 24 * 3600_000,
      streamReplicas: opts.streamReplicas ?? defaultReplicas(nc.info),
      prefetch: opts.prefetch ?? 4,
      onDeadLetter: opts.onDeadLetter,
    };
  }

  /** Connects, retrying until the server answers (the process reports not-ready meanwhile). */
  static async connect(opts: NatsBusOptions): Promise<NatsBus> {
    const nc = await connect({
      servers: opts.servers.split(',').map((s) => s.trim()),
      name: opts.name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      waitOnFirstConnect: true,
      // No Error (with its stack trace) made ahead of every request in case it fails: that was
      // 1.5-2 % of the CPU of each clustered service (issue 13); our errors name what failed.
      noAsyncTraces: true,
    });
    if (opts.onStatus) {
      const onStatus = opts.onStatus;
      void (async () => {
        for await (const s of nc.status()) onStatus(s.type);
      })();
    }
    const jsm = await jetstreamManager(nc);
    return new NatsBus(nc, jsm, opts);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p)).catch(() => undefined);
    return p;
  }

  async request<Req, Res>(cmd: CommandDef<Req, Res>, scope: string, payload: Req, opts: RequestOptions = {}): Promise<Res> {
    if (this.closing) throw new BusClosedError();
    const subject = cmd.subject(scope);
    const timeoutMs = opts.timeoutMs ?? this.o.requestTimeoutMs;
    const h = natsHeaders();
    return this.metrics.timeRequest(cmd.name, () =>
      sendSpan(`send ${cmd.name}`, SpanKind.CLIENT, subject, carrierOf(h), async () => {
        let reply: Msg;
        try {
          reply = await this.nc.request(subject, encode(payload), { timeout: timeoutMs, headers: h });
        } catch (e) {
          if (e instanceof NatsNoRespondersError || (e instanceof RequestError && e.isNoResponders())) {
            throw new NoRespondersError(subject, { cause: e });
          }
          if (e instanceof TimeoutError || (e instanceof RequestError && e.cause instanceof TimeoutError)) {
            throw new BusTimeoutError(subject, timeoutMs, { cause: e });
          }
          throw e;
        }
        return unwrapReply<Res>(subject, reply.data);
      }),
    );
  }

  async handle<Req, Res>(
    cmd: CommandDef<Req, Res>,
    scope: string,
    handler: CommandHandler<Req, Res>,
    opts: HandleOptions = {},
  ): Promise<BusSubscription> {
    if (this.closing) throw new BusClosedError();
    const subject = cmd.subject(scope);
    const serve = async (msg: Msg): Promise<void> => {
      msg.respond(await serveCommand(cmd, subject, handler, msg.data, msg.headers ? carrierOf(msg.headers) : undefined));
    };
    const sub: Subscription = this.nc.subscribe(subject, {
      queue: opts.queue ?? cmd.queue,
      callback: (err, msg) => {
        if (!err) void this.track(serve(msg));
      },
    });
    await this.nc.flush(); // the subscription is registered on the server before we report it ready
    const handle: BusSubscription = {
      stop: async () => {
        this.subs.delete(handle);
        if (!sub.isClosed()) await sub.drain();
      },
    };
    this.subs.add(handle);
    return handle;
  }

  /** Creates the pool's stream and the durable consumers of `evt` if they do not exist yet. */
  private ensure(pool: string, evt: EventDef<unknown>): Promise<void> {
    const key = `${pool}\u0000${evt.name}`;
    let p = this.ensured.get(key);
    if (!p) {
      p = this.createTopology(pool, evt);
      this.ensured.set(key, p);
      p.catch(() => this.ensured.delete(key));
    }
    return p;
  }

  /**
   * Runs a JetStream API call, again while the cluster cannot answer yet: a replicated stream or
   * consumer is created by a Raft group, which on a busy or recovering cluster (a node just lost,
   * leaders being elected) takes longer than one API timeout or answers "temporarily unavailable".
   */
  private async jsApi<T>(f: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await f();
      } catch (e) {
        const transient = e instanceof TimeoutError || (e instanceof RequestError && (e.isNoResponders() || e.cause instanceof TimeoutError)) || (e instanceof JetStreamApiError && e.code === 10008) || /JetStreamNotEnabled|jetstream is not enabled/i.test(String(e));
        if (!transient || attempt >= 6 || this.closing) throw e;
        await new Promise((r) => setTimeout(r, 250 * attempt));
      }
    }
  }

  private async createTopology(pool: string, evt: EventDef<unknown>): Promise<void> {
    const stream = eventStreamName(pool);
    try {
      const info = await this.jsApi(() => this.jsm.streams.info(stream));
      if (info.config.num_replicas < this.o.streamReplicas) {
        // A stream made on a smaller cluster (or with an older setting) grows to the wanted replicas;
        // the server copies its messages to the new peers. Its consumers follow the stream.
        // Best effort: with too few servers up the update is refused and the stream keeps working.
        await this.jsm.streams.update(stream, { ...info.config, num_replicas: this.o.streamReplicas }).catch(() => undefined);
      }
    } catch (e) {
      if (!isNotFound(e)) throw e;
      try {
        await this.jsApi(() => this.jsm.streams.add({
          name: stream,
          subjects: [poolEventsWildcard(pool)],
          retention: RetentionPolicy.Interest,
          storage: StorageType.File,
          num_replicas: this.o.streamReplicas,
          duplicate_window: nanos(this.o.duplicateWindowMs),
          max_age: nanos(this.o.streamMaxAgeMs),
        }));
      } catch (addErr) {
        // Another instance created it at the same moment: fine if it now exists.
        await this.jsm.streams.info(stream).catch(() => {
          throw addErr;
        });
      }
    }
    for (const consumer of evt.consumers) {
      const durable = durableName(consumer, evt.name);
      try {
        await this.jsApi(() => this.jsm.consumers.info(stream, durable));
      } catch (e) {
        if (!isNotFound(e)) throw e;
        await this.jsApi(() => this.jsm.consumers.add(stream, {
          durable_name: durable,
          filter_subject: evt.subject(pool),
          ack_policy: AckPolicy.Explicit,
          deliver_policy: DeliverPolicy.All,
          ack_wait: nanos(this.o.ackWaitMs),
          max_deliver: this.o.maxDeliver,
          max_ack_pending: 1000,
        }));
      }
    }
    await this.removeUndeclared(stream, pool, evt);
  }

  /**
   * Deletes the durable consumers of `evt` no longer declared for it (a service stopped consuming it
   * in an upgrade, e.g. aggregation of `presence-changed`): under interest retention the stream
   * would otherwise keep every such event for a consumer that never comes.
   */
  private async removeUndeclared(stream: string, pool: string, evt: EventDef<unknown>): Promise<void> {
    const wanted = new Set(evt.consumers.map((c) => durableName(c, evt.name)));
    for (const c of await this.jsApi(() => this.jsm.consumers.list(stream).next())) {
      const name = c.config.durable_name ?? c.name;
      if (wanted.has(name) || !name.endsWith(`--${evt.name}`) || c.config.filter_subject !== evt.subject(pool)) continue;
      await this.jsm.consumers.delete(stream, name).catch((e: unknown) => {
        if (!isNotFound(e)) throw e;
      });
    }
  }

  async publish<P>(evt: EventDef<P>, pool: string, payload: P, opts: PublishOptions): Promise<void> {
    if (this.closing) throw new BusClosedError();
    await this.ensure(pool, evt as EventDef<unknown>);
    const subject = evt.subject(pool);
    const h = natsHeaders();
    await sendSpan(`publish ${evt.name}`, SpanKind.PRODUCER, subject, carrierOf(h), async () => {
      await this.js.publish(subject, encode(payload), { msgID: opts.msgId, headers: h });
    });
    this.metrics.publish(evt.name);
  }

  async consume<P>(evt: EventDef<P>, pool: string, consumer: string, handler: EventHandler<P>, opts: ConsumeOptions = {}): Promise<BusSubscription> {
    if (this.closing) throw new BusClosedError();
    if (!evt.consumers.includes(consumer)) throw new UndeclaredConsumerError(evt.name, consumer);
    await this.ensure(pool, evt as EventDef<unknown>);
    const concurrency = Math.max(1, opts.concurrency ?? 1);
    const c = await this.jsApi(() => this.js.consumers.get(eventStreamName(pool), durableName(consumer, evt.name)));
    // Pulls expire after 5 s (heartbeats every 2.5 s): when the server holding a pull dies, or the
    // stream's leader moves, a new pull goes out within seconds instead of the default 30 s.
    const messages: ConsumerMessages = await c.consume({ max_messages: Math.max(this.o.prefetch, concurrency), expires: 5000 });
    const running = new Set<Promise<void>>();
    const handleOne = async (m: (typeof messages) extends AsyncIterable<infer M> ? M : never) => {
      const msgId = m.headers?.get('Nats-Msg-Id') ?? String(m.seq);
      const work = receiveSpan(
        `process ${evt.name}`,
        SpanKind.CONSUMER,
        m.subject,
        m.headers ? carrierOf(m.headers) : undefined,
        async () => handler(decode(m.subject, m.data) as P, { msgId, deliveryCount: m.info.deliveryCount }),
      );
      try {
        await this.track(work);
        m.ack();
        this.metrics.handle(evt.name, consumer, 'ack');
      } catch (e) {
        this.metrics.handle(evt.name, consumer, 'retry');
        if (m.info.deliveryCount >= this.o.maxDeliver) {
          this.o.onDeadLetter?.(evt.name, consumer, msgId, e);
          m.term();
        } else {
          m.nak(Math.min(100 * m.info.deliveryCount, 5000));
        }
      }
    };
    const loop = (async () => {
      for await (const m of messages) {
        const p = handleOne(m);
        running.add(p);
        void p.finally(() => running.delete(p));
        while (running.size >= concurrency) await Promise.race(running);
      }
      await Promise.all(running);
    })();
    const sub: BusSubscription = {
      stop: async () => {
        this.subs.delete(sub);
        // Stop pulling; the event being handled finishes and is acknowledged; events fetched
        // ahead but not started are left unacknowledged and go to another instance.
        await settleWithin([messages.close().catch(() => undefined), loop], this.o.drainTimeoutMs);
      },
    };
    this.subs.add(sub);
    return sub;
  }

  /** The replicas this bus gives the streams it creates. */
  get streamReplicas(): number {
    return this.o.streamReplicas;
  }

  async check(): Promise<void> {
    if (this.nc.isClosed()) throw new BusClosedError();
    await this.nc.flush();
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await Promise.all([...this.subs].map((s) => s.stop()));
    await settleWithin(this.inflight, this.o.drainTimeoutMs);
    if (this.nc.isClosed()) return;
    await settleWithin([this.nc.drain().catch(() => undefined)], this.o.drainTimeoutMs);
    if (!this.nc.isClosed()) await this.nc.close();
  }
}
