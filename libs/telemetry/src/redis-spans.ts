import { context, SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import { tracingEnabled } from './sip-spans.js';

/**
 * Redis CLIENT spans for an ioredis client, made by wrapping the client's own command sending (no
 * module hooks: the ioredis instrumentation needs an ESM loader flag, ecosystem.md A5).
 *
 * ioredis's shapes, as far as they are used here (ioredis 6 `built/Redis.js`, `Pipeline.js`,
 * `autoPipelining.js`): every command is a `Command` with `name` and `promise`; a plain command is
 * written by `client.sendCommand`; a pipeline queues its commands with `pipeline.sendCommand` (in
 * the caller's turn) and its `exec` writes them through `client.sendCommand` later; with
 * `enableAutoPipelining` a command called on the client is queued on an automatic pipeline the
 * client keeps in `_autoPipelines`, executed on a later turn of the event loop.
 *
 * So the span of a command starts where its caller's context is active: in `client.sendCommand`
 * for a plain command, in `pipeline.sendCommand` for an automatically pipelined one (one span per
 * command, each the child of the operation that asked for it, however ioredis batches them), and
 * in `exec` for an explicit pipeline (one span for the whole pipeline, its commands inside it
 * untraced). A Lua script is one command (EVALSHA), hence one span.
 */
interface RedisCommand {
  name: string;
  promise: Promise<unknown>;
  [COVERED]?: true;
}
interface RedisPipeline {
  sendCommand(command: RedisCommand, ...rest: unknown[]): unknown;
  exec(...args: unknown[]): Promise<unknown>;
  readonly length?: number;
  [AUTO]?: true;
}
interface RedisClient {
  sendCommand(command: RedisCommand, ...rest: unknown[]): unknown;
  pipeline(...args: unknown[]): RedisPipeline;
  readonly options?: { host?: string; port?: number };
  readonly _autoPipelines?: Map<string, RedisPipeline>;
  [WRAPPED]?: true;
}

/** A command whose span is taken care of (started already, or part of a pipeline's span). */
const COVERED = Symbol('presence.redis.covered');
/** A pipeline ioredis made for auto-pipelining: its commands carry their own spans. */
const AUTO = Symbol('presence.redis.auto');
const WRAPPED = Symbol('presence.redis.wrapped');

const tracer = () => trace.getTracer('@presence/state');

function startSpan(name: string, client: RedisClient, extra: Attributes = {}): Span {
  const attributes: Attributes = { 'db.system.name': 'redis', 'db.system': 'redis', 'db.operation.name': name, ...extra };
  if (client.options?.host !== undefined) attributes['server.address'] = client.options.host;
  if (client.options?.port !== undefined) attributes['server.port'] = client.options.port;
  // Keys and arguments are not recorded: keys name users (personal data), values are presence documents.
  return tracer().startSpan(`redis ${name}`, { kind: SpanKind.CLIENT, attributes });
}

function endWith(span: Span, done: Promise<unknown>): void {
  done.then(
    () => span.end(),
    (e: unknown) => {
      span.recordException(e as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error)?.message ?? String(e) });
      span.end();
    },
  );
}

function commandSpan(client: RedisClient, command: RedisCommand): void {
  command[COVERED] = true;
  endWith(startSpan(command.name.toUpperCase(), client), command.promise);
}

function wrapPipeline(client: RedisClient, p: RedisPipeline): RedisPipeline {
  const send = p.sendCommand;
  p.sendCommand = function (this: RedisPipeline, command: RedisCommand, ...rest: unknown[]) {
    if (tracingEnabled() && !command[COVERED]) {
      let auto = p[AUTO] === true;
      if (!auto && client._autoPipelines) for (const q of client._autoPipelines.values()) if (q === p) auto = p[AUTO] = true;
      if (auto) commandSpan(client, command);
      else command[COVERED] = true;
    }
    return send.call(this, command, ...rest);
  };
  const exec = p.exec;
  p.exec = function (this: RedisPipeline, ...args: unknown[]) {
    if (p[AUTO] || !tracingEnabled()) return exec.apply(this, args);
    const span = startSpan('PIPELINE', client, { 'db.operation.batch.size': p.length ?? 0 });
    const result = context.with(trace.setSpan(context.active(), span), () => exec.apply(this, args));
    endWith(span, result);
    return result;
  };
  return p;
}

/**
 * Adds Redis spans to `client` (an ioredis `Redis`) and returns it. Costs one check per command
 * while the process records no spans (see `tracingEnabled`). Wrapping twice is harmless.
 */
export function traceRedis<T extends object>(client: T): T {
  const c = client as unknown as RedisClient;
  if (c[WRAPPED]) return client;
  c[WRAPPED] = true;
  const send = c.sendCommand;
  c.sendCommand = function (this: RedisClient, command: RedisCommand, ...rest: unknown[]) {
    if (!command[COVERED] && tracingEnabled()) commandSpan(c, command);
    return send.call(this, command, ...rest);
  };
  const pipeline = c.pipeline;
  c.pipeline = function (this: RedisClient, ...args: unknown[]) {
    return wrapPipeline(c, pipeline.apply(this, args));
  };
  return client;
}
