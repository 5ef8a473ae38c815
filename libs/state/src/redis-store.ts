import { randomBytes } from 'node:crypto';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { APPLY_EACH_LUA, APPLY_LUA, GET_MANY_LUA } from './apply-script.js';
import { StoreUnavailableError } from './errors.js';
import { collectionKey, DUE_SHARDS, dueKey, dueShard } from './keys.js';
import type { ApplyResult, Change, Conflict, DueRecord, Partition, PartitionChanges, RecordRef, Store, StoredRecord } from './store.js';
import { validateChanges } from './validate.js';

interface Parsed {
  version: number;
  expiresAt?: number;
  nonce: string;
  json: string;
}

function parseField(raw: string): Parsed {
  const t1 = raw.indexOf('\t');
  const t2 = raw.indexOf('\t', t1 + 1);
  const t3 = raw.indexOf('\t', t2 + 1);
  const exp = raw.slice(t1 + 1, t2);
  const p: Parsed = { version: Number(raw.slice(0, t1)), nonce: raw.slice(t2 + 1, t3), json: raw.slice(t3 + 1) };
  if (exp !== '') p.expiresAt = Number(exp);
  return p;
}

function toStored<T>(id: string, p: Parsed): StoredRecord<T> {
  const value = JSON.parse(p.json) as T;
  return p.expiresAt === undefined ? { id, version: p.version, value } : { id, version: p.version, value, expiresAt: p.expiresAt };
}

/** A due-index member: who, which record, and the nonce its write carried. */
type DueMember = [user: string, collection: string, id: string, nonce: string];

/** The commands this store sends; both a single Redis (or Sentinel-managed) client and a Cluster client have them. */
type ScriptedRedis = (Redis | Cluster) & {
  presApply(numKeys: number, ...args: (string | number)[]): Promise<(number | string)[]>;
  presApplyEach(numKeys: number, ...args: (string | number)[]): Promise<(number | string)[][]>;
  presGetMany(numKeys: number, ...args: (string | number)[]): Promise<string[]>;
};

export interface RedisStoreOptions {
  /** One Redis server (`redis://` or `rediss://`). Used unless `clusterNodes` or `sentinels` is given. */
  url?: string;
  /** Seed nodes of a Redis Cluster (`host:port`); the client learns the rest and follows MOVED/ASK. */
  clusterNodes?: readonly string[];
  /** Sentinels (`host:port`) that know the master named `sentinelMaster`; the client asks them where it is. */
  sentinels?: readonly string[];
  sentinelMaster?: string;
  /**
   * After each acknowledged write, `WAIT` until this many replicas have it (0: don't wait). Redis
   * replication is asynchronous: without it a master that dies right after answering can take the
   * last writes with it when its replica is promoted.
   */
  waitReplicas?: number;
  /** Longest `WAIT` (ms); past it the write counts as failed (503), though it stays on the master. */
  waitTimeoutMs?: number;
  /** A command that gets no answer within this time fails (the request answers 503). Default 2000. */
  commandTimeoutMs?: number;
  /** Connection name shown by CLIENT LIST. */
  name?: string;
}

/** `host:port` into what ioredis takes; a bare host means the default port. */
export function parseHostPort(s: string): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?(?::(\d{1,5}))?$/.exec(s.trim());
  const port = Number(m?.[2] ?? 6379);
  if (!m || m[1] === '' || port < 1 || port > 65_535) throw new RangeError(`invalid host:port ${JSON.stringify(s)}`);
  return { host: m[1]!, port };
}

/** The replicas did not confirm a write within the WAIT timeout (the write may still survive). */
export class ReplicationTimeoutError extends Error {
  constructor(wanted: number, got: number, options?: ErrorOptions) {
    super(`redis WAIT: ${got} of ${wanted} replicas confirmed the write in time`, options);
    this.name = 'ReplicationTimeoutError';
  }
}

/**
 * Makes the ioredis client: the one place where a Redis connection is created (tracing wraps it here).
 * Single server, Sentinel and Cluster share the failure behaviour: fail fast while disconnected,
 * reconnect in the background.
 */
function createClient(opts: RedisStoreOptions): ScriptedRedis {
  const common: RedisOptions = {
    connectionName: opts.name,
    maxRetriesPerRequest: 1,
    commandTimeout: opts.commandTimeoutMs ?? 2000,
    connectTimeout: 2000,
  };
  const retry = (times: number) => Math.min(times * 100, 1000);
  let redis: Redis | Cluster;
  if (opts.clusterNodes && opts.clusterNodes.length > 0) {
    const options: ClusterOptions = {
      redisOptions: common,
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      // ioredis groups auto-pipelined commands by the slot of their first key, and for a script it
      // takes the first argument (numKeys) for that key: scripts of different partitions then land
      // in one pipeline, which a Cluster refuses. Scripts go out on their own.
      autoPipeliningIgnoredCommands: ['presApply'],
      clusterRetryStrategy: retry,
      // A failed-over master answers nothing until its replica is promoted; ioredis refreshes the
      // slot map on the connection error and retries the command at the new owner after this delay.
      retryDelayOnFailover: 200,
      retryDelayOnClusterDown: 200,
      retryDelayOnTryAgain: 100,
      slotsRefreshTimeout: 2000,
    };
    redis = new Cluster(opts.clusterNodes.map(parseHostPort), options);
  } else if (opts.sentinels && opts.sentinels.length > 0) {
    if (!opts.sentinelMaster) throw new RangeError('sentinels given without the master name (sentinelMaster)');
    redis = new Redis({
      ...common,
      sentinels: opts.sentinels.map(parseHostPort),
      name: opts.sentinelMaster,
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      retryStrategy: retry,
      sentinelRetryStrategy: retry,
      // After a failover the old master may come back as a replica: a READONLY error reconnects.
      reconnectOnError: (e) => (/READONLY/.test(e.message) ? 2 : false),
    });
  } else {
    redis = new Redis(opts.url ?? 'redis://127.0.0.1:6379', {
      ...common,
      enableOfflineQueue: false,
      // Concurrent commands of one event loop tick go out as one pipeline (fan-out reads thousands).
      enableAutoPipelining: true,
      retryStrategy: retry,
    });
  }
  // Errors surface through commands and readiness; without a listener ioredis would log each one.
  redis.on('error', () => undefined);
  redis.defineCommand('presApply', { lua: APPLY_LUA });
  redis.defineCommand('presApplyEach', { lua: APPLY_EACH_LUA });
  redis.defineCommand('presGetMany', { lua: GET_MANY_LUA });
  return redis as ScriptedRedis;
}

/**
 * Errors that mean "Redis cannot answer now" (503), including a Redis Cluster in failover. MOVED/ASK
 * reach us from pipelines (the WAIT pipeline, and the auto-pipelines in the second or two after a
 * failover), which ioredis does not re-route: the slot changed owner and the command did not run.
 */
const UNAVAILABLE = /^MOVED |^ASK |timed out|Stream isn't writeable|Connection is closed|ECONNRE|CLUSTERDOWN|TRYAGAIN|Cluster isn't ready|Failed to refresh slots|None of startup nodes|MaxRetriesPerRequest|READONLY|LOADING|MASTERDOWN/i;

/**
 * Nonces of due-index entries: they only tell an entry of this write from one a crashed write left
 * for the same record, so a random prefix per process and a counter do (random bytes per write
 * cost ~2 % of the federation service's CPU, issue 13).
 */
const NONCE_PREFIX = randomBytes(6).toString('hex');
let nonces = 0;
const nextNonce = (): string => `${NONCE_PREFIX}${(++nonces).toString(36)}`;

/**
 * Reads, or partitions' changes, per script: Redis runs nothing else while a script runs, so the
 * fan-out of a change with thousands of watchers goes as several scripts (still one write: the
 * client pipelines them).
 */
const PER_SCRIPT = 256;

function chunked<T>(xs: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += PER_SCRIPT) out.push(xs.slice(i, i + PER_SCRIPT));
  return out;
}

/** The 1-based KEYS index of `key` in a script call, adding it on first use. */
function keyAt(keys: string[], index: Map<string, number>, key: string): number {
  let i = index.get(key);
  if (i === undefined) {
    keys.push(key);
    index.set(key, (i = keys.length));
  }
  return i;
}

/**
 * Appends one partition's changes to a script call (see apply-script.ts): its keys to `keys`, its
 * arguments (global key indexes) to `argv`. The expiry intents go into the script when `inScript`
 * (a single server), else they are returned for the caller to write first, and `m` is 0.
 */
function encodeGroup(p: Partition, changes: readonly Change[], keys: string[], argv: (string | number)[], inScript: boolean): [key: string, score: number, member: string][] {
  const keyIndex = new Map<string, number>();
  const intents: [string, number, string][] = [];
  argv.push(changes.length);
  for (const c of changes) {
    const ki = keyAt(keys, keyIndex, collectionKey(p, c.collection));
    let nonce = '';
    let expiresAt = '';
    let json = '';
    if (c.op === 'put') {
      json = JSON.stringify(c.value);
      if (c.expiresAt !== undefined) {
        nonce = nextNonce();
        expiresAt = String(c.expiresAt);
        const member: DueMember = [p.user, c.collection, c.id, nonce];
        intents.push([dueKey(p.pool, c.collection, dueShard(p.user)), c.expiresAt, JSON.stringify(member)]);
      }
    }
    argv.push(ki, c.id, c.expect === undefined ? '' : c.expect, c.op === 'delete' ? 'd' : c.keepExpiry ? 'k' : 'p', expiresAt, nonce, json);
  }
  if (!inScript) {
    argv.push(0);
    return intents;
  }
  argv.push(intents.length);
  for (const [k, score, member] of intents) {
    keys.push(k);
    argv.push(keys.length, score, member);
  }
  return intents;
}

/**
 * The Redis {@link Store} (ioredis). `apply` is one Lua script over the partition's hash-tagged
 * keys. Expiry uses a sharded sorted set of *intents*, written in the same script as the change on a
 * single server, and before it on a Cluster (other slots): an entry whose record no longer carries
 * its nonce is stale and is dropped, so a crash between the two writes can delay a removal but never
 * lose one.
 *
 * Commands fail fast while disconnected (no offline queue), and the client reconnects on its own, so
 * a Redis outage makes requests fail with {@link StoreUnavailableError} and /readyz answer 503, and
 * both recover when Redis returns.
 */
export class RedisStore implements Store {
  private constructor(
    readonly redis: ScriptedRedis,
    private readonly waitReplicas: number,
    private readonly waitTimeoutMs: number,
  ) {}

  static create(opts: RedisStoreOptions): RedisStore {
    return new RedisStore(createClient(opts), opts.waitReplicas ?? 0, opts.waitTimeoutMs ?? 500);
  }

  /** Resolves once connected and ready (ioredis keeps retrying in the background until then). */
  ready(): Promise<void> {
    if (this.redis.status === 'ready') return Promise.resolve();
    return new Promise((resolve) => this.redis.once('ready', () => resolve()));
  }

  private async run<T>(what: string, f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      if (e instanceof SyntaxError) throw e;
      const msg = (e as Error).message ?? String(e);
      if (e instanceof ReplicationTimeoutError || this.redis.status !== 'ready' || UNAVAILABLE.test(msg)) {
        throw new StoreUnavailableError(`redis ${what} failed: ${msg}`, { cause: e });
      }
      throw e;
    }
  }

  async get<T>(p: Partition, collection: string, id: string): Promise<StoredRecord<T> | undefined> {
    const raw = await this.run('get', () => this.redis.hget(collectionKey(p, collection), id));
    return raw === null ? undefined : toStored<T>(id, parseField(raw));
  }

  async list<T>(p: Partition, collection: string): Promise<StoredRecord<T>[]> {
    const all = await this.run('list', () => this.redis.hgetall(collectionKey(p, collection)));
    return Object.entries(all).map(([id, raw]) => toStored<T>(id, parseField(raw)));
  }

  async count(p: Partition, collection: string): Promise<number> {
    return this.run('count', () => this.redis.hlen(collectionKey(p, collection)));
  }

  async apply(p: Partition, changes: readonly Change[]): Promise<ApplyResult> {
    validateChanges(changes);
    if (changes.length === 0) return { ok: true, versions: [] };
    const cluster = this.redis instanceof Cluster;
    const keys: string[] = [];
    const argv: (string | number)[] = [];
    const intents = encodeGroup(p, changes, keys, argv, !cluster);
    return this.run('apply', async () => {
      // Intent first: if we crash after this, the sweeper finds a member whose nonce no record
      // carries and drops it; if we crashed after the change instead, the removal could be lost.
      if (cluster && intents.length > 0) {
        // Separate commands, not a pipeline: a Cluster client follows MOVED/ASK for single
        // commands only. A failed ZADD fails the request before any change.
        await Promise.all(intents.map(([k, score, member]) => this.redis.zadd(k, score, member)));
      }
      const r = this.interpret(p, changes, await this.applyScript(keys, argv));
      // Nothing was written: a Cluster's intents of this call will never be carried by a record.
      if (!r.ok && cluster) await this.forget(intents.map(([k, , member]) => [k, member]));
      return r;
    });
  }

  /**
   * On a single server without WAIT, the groups in one script (of {@link PER_SCRIPT} at most): one
   * command instead of one per partition (the fan-out commits a dialog per watcher; issue 13). A
   * Cluster (many slots) or WAIT (per-slot connections) takes the groups one by one. Every group is
   * validated before any is sent.
   */
  async applyEach(groups: readonly PartitionChanges[]): Promise<ApplyResult[]> {
    for (const g of groups) validateChanges(g.changes);
    if (this.redis instanceof Cluster || this.waitReplicas > 0) return Promise.all(groups.map((g) => this.apply(g.partition, g.changes)));
    return (await Promise.all(chunked(groups).map((c) => this.applyEachScript(c)))).flat();
  }

  /** One script for up to {@link PER_SCRIPT} validated groups; a group without changes is applied as is. */
  private async applyEachScript(groups: readonly PartitionChanges[]): Promise<ApplyResult[]> {
    const live = groups.filter((g) => g.changes.length > 0);
    if (live.length === 0) return groups.map(() => ({ ok: true, versions: [] }));
    const keys: string[] = [];
    const argv: (string | number)[] = [live.length];
    for (const g of live) encodeGroup(g.partition, g.changes, keys, argv, true);
    return this.run('apply', async () => {
      const replies = await this.redis.presApplyEach(keys.length, ...keys, ...argv);
      let i = 0;
      return groups.map((g) => (g.changes.length === 0 ? { ok: true, versions: [] } : this.interpret(g.partition, g.changes, replies[i++]!)));
    });
  }

  /** A script's reply for one partition's changes; on success the replaced intents are dropped. */
  private interpret(p: Partition, changes: readonly Change[], reply: (number | string)[]): ApplyResult {
    if (reply[0] === 1) {
      // Replace, don't append: the entries of the expiries these writes replaced are stale now.
      // Not awaited: a removal lost with the connection only leaves an entry the sweeper drops.
      const replaced: [string, string][] = [];
      changes.forEach((c, i) => {
        const old = String(reply[1 + changes.length + i] ?? '');
        if (old !== '') replaced.push([dueKey(p.pool, c.collection, dueShard(p.user)), JSON.stringify([p.user, c.collection, c.id, old] satisfies DueMember)]);
      });
      this.forget(replaced).catch(() => undefined);
      return { ok: true, versions: reply.slice(1, 1 + changes.length).map(Number) };
    }
    const conflicts: Conflict[] = [];
    for (let i = 1; i < reply.length; i += 2) {
      const index = Number(reply[i]);
      const c = changes[index]!;
      const raw = String(reply[i + 1]);
      conflicts.push({
        index,
        collection: c.collection,
        id: c.id,
        expected: c.expect!,
        current: raw === '' ? undefined : toStored(c.id, parseField(raw)),
      });
    }
    return { ok: false, conflicts };
  }

  /** One script for many reads ({@link PER_SCRIPT} at most) on a single server; a Cluster reads each on its own (many slots). */
  async getMany(refs: readonly RecordRef[]): Promise<(StoredRecord | undefined)[]> {
    if (refs.length === 0) return [];
    if (this.redis instanceof Cluster) return Promise.all(refs.map((r) => this.get(r.partition, r.collection, r.id)));
    if (refs.length > PER_SCRIPT) return (await Promise.all(chunked(refs).map((c) => this.getMany(c)))).flat();
    const keys: string[] = [];
    const keyIndex = new Map<string, number>();
    const argv: (string | number)[] = [];
    for (const r of refs) argv.push(keyAt(keys, keyIndex, collectionKey(r.partition, r.collection)), r.id);
    const raws = await this.run('get', () => this.redis.presGetMany(keys.length, ...keys, ...argv));
    return raws.map((raw, i) => (raw === '' ? undefined : toStored(refs[i]!.id, parseField(raw))));
  }

  /**
   * Runs the script; with `waitReplicas`, WAIT follows in the same pipeline, so it goes over the
   * connection of the node that owns the partition's slot (WAIT counts that connection's writes) and
   * costs no extra round trip. A WAIT that times out fails the request: the client sees 503 and
   * retries, which the version check makes safe (a 409 shows the write was kept).
   */
  private async applyScript(keys: string[], argv: (string | number)[]): Promise<(number | string)[]> {
    if (this.waitReplicas === 0) return this.redis.presApply(keys.length, ...keys, ...argv);
    const pipe = this.redis.pipeline() as ReturnType<Redis['pipeline']> & { presApply(...a: (string | number)[]): unknown };
    pipe.presApply(keys.length, ...keys, ...argv);
    pipe.wait(this.waitReplicas, this.waitTimeoutMs);
    const out = (await pipe.exec()) ?? [];
    const [scriptErr, reply] = out[0] ?? [new Error('empty pipeline reply'), undefined];
    if (scriptErr) {
      // A pipeline does not follow MOVED/ASK (WAIT has no key to route by), nor learn from them:
      // fetch the new slot map so the retry of this 503 goes to the slot's new master.
      const c = this.redis;
      if (c instanceof Cluster && /^(MOVED|ASK) /.test(scriptErr.message)) await new Promise<void>((resolve) => c.refreshSlotsCache(() => resolve()));
      throw scriptErr;
    }
    const [waitErr, acked] = out[1] ?? [new Error('empty pipeline reply'), undefined];
    if (waitErr) throw waitErr;
    const r = reply as (number | string)[];
    // A refused change wrote nothing, so there is nothing to wait for.
    if (r[0] === 1 && Number(acked) < this.waitReplicas) throw new ReplicationTimeoutError(this.waitReplicas, Number(acked));
    return r;
  }

  /** Removes due-index entries known to be stale (a lost removal would only leave one for the sweeper). */
  private async forget(entries: readonly [key: string, member: string][]): Promise<void> {
    if (entries.length === 0) return;
    await Promise.all(entries.map(([k, member]) => this.redis.zrem(k, member)));
  }

  async due(pool: string, collection: string, now: number, limit: number): Promise<DueRecord[]> {
    return this.run('due', async () => {
      const found: DueRecord[] = [];
      for (let shard = 0; shard < DUE_SHARDS; shard++) {
        const key = dueKey(pool, collection, shard);
        const flat = await this.redis.zrangebyscore(key, '-inf', now, 'WITHSCORES', 'LIMIT', 0, limit);
        for (let i = 0; i < flat.length; i += 2) {
          const member = flat[i]!;
          const [user, , id, nonce] = JSON.parse(member) as DueMember;
          const partition = { pool, user };
          const raw = await this.redis.hget(collectionKey(partition, collection), id);
          const rec = raw === null ? undefined : parseField(raw);
          if (!rec || rec.nonce !== nonce) {
            // Stale intent: the record is gone or was rewritten (with its own new intent). The
            // nonce is unique, so nobody can be re-adding this member.
            await this.redis.zrem(key, member);
            continue;
          }
          found.push({ partition, collection, record: toStored(id, rec) });
        }
      }
      found.sort((a, b) => (a.record.expiresAt ?? 0) - (b.record.expiresAt ?? 0));
      return found.slice(0, limit);
    });
  }

  async check(): Promise<void> {
    await this.run('ping', () => this.redis.ping());
  }

  async close(): Promise<void> {
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }
}
