import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import type { Logger } from '@presence/telemetry';

/**
 * Idle heap trimming (issue 13, memory per subscription).
 *
 * A burst of work (a client population signing in, a batch SUBSCRIBE of thousands of resources)
 * promotes much short-lived garbage into V8's old generation. V8 collects it at its next full
 * collection but keeps the pages it sat on: measured, 100,000 subscriptions embedded left 72 MB
 * live in a 200 MB heap and RSS 1.5-1.9 KB per subscription for as long as the process stayed
 * idle. One forced, compacting full collection hands the emptied pages back: the same run settled
 * at 460 B per subscription (229 MB heap → 108 MB).
 *
 * The collection stops the process for about 3.5 ms per MB of live heap on a 2-core VM (248 ms
 * at 72 MB), so it is run only when the process has been idle over the last interval, only while
 * the heap is small enough that the pause stays under a second, and once per growth of the heap
 * by `growthBytes`.
 */

/** What the trimmer reads once per interval. */
export interface HeapSample {
  /** Share of the last interval the event loop was busy (0-1). */
  readonly utilization: number;
  /** V8 heap in use and committed (`used_heap_size`, `total_heap_size`). */
  readonly used: number;
  readonly total: number;
}

export interface TrimPolicy {
  /** Growth of the committed heap since the last trim that is worth a collection. */
  readonly growthBytes: number;
  /** Busier than this over the interval: not idle, no pause. */
  readonly idleUtilization: number;
  /**
   * A heap in use above this might pause for too long (~0.9 s if all 256 MB were live). It is
   * `used`, not live: garbage not yet marked counts, so the real pause is often far shorter.
   */
  readonly maxUsedBytes: number;
}

/**
 * Whether to collect now (pure): when idle, and the committed heap has grown by `growthBytes` since the
 * last trim (`base`: its size after that trim, or at start). Growth, not committed-minus-used, is
 * the sign: garbage V8 has not yet marked still counts as used, and what a compacting trim leaves
 * (the young generation, live objects) cannot be trimmed again.
 */
export function shouldTrim(s: HeapSample, p: TrimPolicy, base: number): boolean {
  return s.utilization <= p.idleUtilization && s.used <= p.maxUsedBytes && s.total >= base + p.growthBytes;
}

export const DEFAULT_TRIM_POLICY: Omit<TrimPolicy, 'growthBytes'> = { idleUtilization: 0.05, maxUsedBytes: 256 * 1024 * 1024 };

let forcedGc: (() => void) | undefined;
/**
 * V8's `gc()` without starting Node with --expose-gc (the flag only adds the function), compacting
 * every old-space page: a plain forced collection moves only the emptiest pages (measured: a
 * 217 MB heap with 72 MB live came down 217 → 184 → 162 → 145 → 137 MB over four of them; with
 * compaction, to about the live size in one).
 */
function collector(): () => void {
  if (!forcedGc) {
    setFlagsFromString('--expose-gc');
    forcedGc = runInNewContext('gc') as () => void;
  }
  const gc = forcedGc;
  return () => {
    setFlagsFromString('--compact-on-every-full-gc');
    try {
      gc();
    } finally {
      setFlagsFromString('--no-compact-on-every-full-gc');
    }
  };
}

/** Checks every `intervalMs`; `growthMb` 0 turns trimming off. */
export function startHeapTrim(growthMb: number, logger: Logger, intervalMs = 1000): { stop(): void } {
  if (growthMb <= 0) return { stop: () => undefined };
  const policy: TrimPolicy = { ...DEFAULT_TRIM_POLICY, growthBytes: growthMb * 1024 * 1024 };
  const gc = collector();
  let base = getHeapStatistics().total_heap_size;
  let last: EventLoopUtilization = performance.eventLoopUtilization();
  const t = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const { utilization } = performance.eventLoopUtilization(now, last);
    last = now;
    const h = getHeapStatistics();
    if (!shouldTrim({ utilization, used: h.used_heap_size, total: h.total_heap_size }, policy, base)) return;
    const started = performance.now();
    gc();
    const after = getHeapStatistics();
    base = after.total_heap_size;
    // The pause counts as busy time of the next interval; start that interval after it.
    last = performance.eventLoopUtilization();
    logger.debug({ pauseMs: Math.round(performance.now() - started), heapBefore: h.total_heap_size, heapAfter: after.total_heap_size, used: after.used_heap_size }, 'idle heap trimmed');
  }, intervalMs);
  t.unref();
  return { stop: () => clearInterval(t) };
}
