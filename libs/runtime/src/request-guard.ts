import { AsyncLocalStorage } from 'node:async_hooks';
import { sipRequestCommands, type Bus, type CommandDef, type CommandHandler, type SipRequestCommand } from '@presence/bus';
import type { Store } from '@presence/state';

/** A SIP request's time ran out before the service could commit its work; nothing was written. */
export class DeadlineExceededError extends Error {
  readonly code = 'RUNTIME_ERR_DEADLINE';
  constructor(late: number) {
    super(`the request's deadline passed ${late} ms ago: its answer is no longer awaited, nothing was written`);
    this.name = 'DeadlineExceededError';
  }
}

/** The service has as much SIP work running and queued as it may: the request is refused before any work. */
export class OverloadedError extends Error {
  readonly code = 'RUNTIME_ERR_OVERLOADED';
  constructor(what: string) {
    super(`${what} is overloaded: too many requests in progress`);
    this.name = 'OverloadedError';
  }
}

/** The error codes the edge answers with 503 and Retry-After. */
export const OVERLOAD_CODES: readonly string[] = ['RUNTIME_ERR_DEADLINE', 'RUNTIME_ERR_OVERLOADED'];

/** The SIP request being served in this async context: its deadline (epoch ms), and whether it has written. */
interface RequestScope {
  readonly deadline: number;
  committed: boolean;
}
const current = new AsyncLocalStorage<RequestScope>();

/** Throws when the request being served is past its deadline; outside a request, does nothing. */
export function checkDeadline(now = Date.now()): void {
  const scope = current.getStore();
  if (scope !== undefined && now > scope.deadline) throw new DeadlineExceededError(now - scope.deadline);
}

/**
 * The commit point: a request's first write must come before its deadline; once it has written,
 * its further writes go through, so that a request leaves all of its state or none of it.
 */
function checkCommit(): void {
  const scope = current.getStore();
  if (scope === undefined || scope.committed) return;
  checkDeadline();
  scope.committed = true;
}

/**
 * At most `concurrent` tasks at once and `queued` waiting; beyond that a task is refused at once
 * (fast 503 instead of an ever longer queue: memory stays bounded whatever the request rate).
 */
export class Limiter {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly name: string,
    private readonly concurrent: number,
    private readonly queued: number,
  ) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrent) {
      if (this.waiting.length >= this.queued) throw new OverloadedError(this.name);
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  get inFlight(): number {
    return this.running + this.waiting.length;
  }
}

const SIP_REQUEST_COMMANDS: ReadonlySet<CommandDef<unknown, unknown>> = new Set(Object.values(sipRequestCommands) as CommandDef<unknown, unknown>[]);

/**
 * The bus a service sees: SIP request handlers run under a {@link Limiter} per handler, and inside
 * their request's deadline (`budgetMs`, counted from receipt), which {@link guardStore} enforces
 * on every write. A request still queued when its deadline passes is dropped without work.
 */
export function guardBus(bus: Bus, limits: { concurrent: number; queued: number }): Bus {
  return {
    request: (cmd, scope, payload, opts) => bus.request(cmd, scope, payload, opts),
    publish: (evt, pool, payload, opts) => bus.publish(evt, pool, payload, opts),
    // An event is work of its own, not of the request that published it (in embedded mode the
    // in-process bus would otherwise run its consumers inside that request's deadline).
    consume: (evt, pool, consumer, handler, opts) => bus.consume(evt, pool, consumer, (payload, delivery) => current.exit(() => handler(payload, delivery)), opts),
    check: () => bus.check(),
    close: () => bus.close(),
    handle<Req, Res>(cmd: CommandDef<Req, Res>, scope: string, handler: CommandHandler<Req, Res>, opts?: Parameters<Bus['handle']>[3]) {
      if (!SIP_REQUEST_COMMANDS.has(cmd as CommandDef<unknown, unknown>)) return bus.handle(cmd, scope, handler, opts);
      const limiter = new Limiter(`${cmd.name} of ${scope}`, limits.concurrent, limits.queued);
      const guarded: CommandHandler<Req, Res> = (payload, ctx) => {
        const budget = (payload as SipRequestCommand).budgetMs;
        const deadline = typeof budget === 'number' && budget > 0 ? Date.now() + budget : Number.POSITIVE_INFINITY;
        return limiter.run(() =>
          current.run({ deadline, committed: false }, async () => {
            checkDeadline();
            return handler(payload, ctx);
          }),
        );
      };
      return bus.handle(cmd, scope, guarded, opts);
    },
  };
}

/** The store a service sees: a request's first write past its deadline throws instead of committing. */
export function guardStore(store: Store): Store {
  return {
    get: (p, c, id) => store.get(p, c, id),
    list: (p, c) => store.list(p, c),
    count: (p, c) => store.count(p, c),
    due: (pool, c, now, limit) => store.due(pool, c, now, limit),
    check: () => store.check(),
    close: () => store.close(),
    getMany: (refs) => store.getMany(refs),
    apply: async (p, changes) => {
      checkCommit();
      return store.apply(p, changes);
    },
    applyEach: async (groups) => {
      checkCommit();
      return store.applyEach(groups);
    },
  };
}
