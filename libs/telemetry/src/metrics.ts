import { readdirSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { metrics, ValueType, type Attributes, type Meter, type MetricOptions } from '@opentelemetry/api';

export type { Counter, Histogram, Meter, ObservableGauge, UpDownCounter } from '@opentelemetry/api';

/**
 * Instrument names here end in their unit (`.seconds`, `.bytes`) although OTel's own names do not:
 * the Prometheus exporter in use does not append unit suffixes, and Prometheus names carry their
 * unit (`_seconds`, `_bytes`; counters get `_total` from the exporter).
 */

/** Latency buckets in seconds for SIP and service work: 1 ms to 10 s (OTel's defaults start at 0 and end at 10,000). */
export const LATENCY_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The meter of one library or service from the process's meter provider (a no-op one before {@link startTelemetry}). */
export function meterOf(name: string): Meter {
  return metrics.getMeter(name);
}

/** Open file descriptors, from /proc (Linux); undefined elsewhere, and then not reported. */
function openFds(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return undefined;
  }
}

/** What {@link startRuntimeMetrics} returns: stops the event-loop sampler. */
export interface RuntimeMetrics {
  stop(): void;
}

/**
 * Process and runtime metrics, named after the OpenTelemetry semantic conventions for Node.js,
 * V8 and processes (`nodejs.eventloop.delay.*`, `v8js.memory.heap.*`, `process.*`): what an
 * operator reads first when a process is slow (event-loop delay), grows (heap, RSS) or leaks
 * sockets (file descriptors). Read only when scraped; the event-loop histogram is reset each read
 * so the percentiles describe the last scrape interval.
 */
export function startRuntimeMetrics(meter: Meter = meterOf('@presence/runtime-metrics')): RuntimeMetrics {
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const gauge = (name: string, unit: string, description: string) => meter.createObservableGauge(name, { unit, description, valueType: ValueType.DOUBLE });
  const loopP50 = gauge('nodejs.eventloop.delay.p50.seconds', 's', 'Event-loop delay, median over the last scrape interval.');
  const loopP99 = gauge('nodejs.eventloop.delay.p99.seconds', 's', 'Event-loop delay, 99th percentile over the last scrape interval.');
  const loopMax = gauge('nodejs.eventloop.delay.max.seconds', 's', 'Longest event-loop delay over the last scrape interval.');
  const heapUsed = gauge('v8js.memory.heap.used.bytes', 'By', 'V8 heap in use.');
  const heapLimit = gauge('v8js.memory.heap.limit.bytes', 'By', 'V8 heap size limit.');
  const rss = gauge('process.memory.usage.bytes', 'By', 'Resident set size of the process.');
  const fds = gauge('process.open_file_descriptor.count', '{file_descriptor}', 'Open file descriptors (sockets included).');
  const cpu = meter.createObservableCounter('process.cpu.time.seconds', { unit: 's', description: 'CPU time used by the process.', valueType: ValueType.DOUBLE });
  const uptime = gauge('process.uptime.seconds', 's', 'Time since the process started.');

  const batch = (r: import('@opentelemetry/api').BatchObservableResult): void => {
    // The histogram reports nanoseconds; NaN before the first sample.
    const s = (ns: number): number => (Number.isFinite(ns) ? ns / 1e9 : 0);
    r.observe(loopP50, s(loop.percentile(50)));
    r.observe(loopP99, s(loop.percentile(99)));
    r.observe(loopMax, s(loop.max));
    loop.reset();
    const heap = getHeapStatistics();
    r.observe(heapUsed, heap.used_heap_size);
    r.observe(heapLimit, heap.heap_size_limit);
    r.observe(rss, process.memoryUsage.rss());
    const n = openFds();
    if (n !== undefined) r.observe(fds, n);
    const u = process.cpuUsage();
    r.observe(cpu, u.user / 1e6, { 'cpu.mode': 'user' });
    r.observe(cpu, u.system / 1e6, { 'cpu.mode': 'system' });
    r.observe(uptime, process.uptime());
  };
  const observables = [loopP50, loopP99, loopMax, heapUsed, heapLimit, rss, fds, cpu, uptime];
  meter.addBatchObservableCallback(batch, observables);
  return {
    stop() {
      meter.removeBatchObservableCallback(batch, observables);
      loop.disable();
    },
  };
}

/** Most series one {@link TallyCounter} keeps; past it new label sets are counted together, as `otel.metric.overflow`. */
export const MAX_TALLY_SERIES = 1000;

/**
 * A monotonic counter for the hot path: each series is a plain number, found by a key the caller
 * builds from its label values, and handed to the meter only when metrics are read (an OTel
 * observable counter: the same `_total` series to Prometheus and OTLP). The SDK's own counter
 * hashes the attribute object on every add: at one add per NOTIFY and one per client response
 * that was ~2 % of the edge's CPU (issue 13). Series are bounded: labels stay low-cardinality.
 */
export class TallyCounter {
  private readonly series = new Map<string, { readonly attrs: Attributes; value: number }>();

  constructor(meter: Meter, name: string, options: MetricOptions, private readonly maxSeries = MAX_TALLY_SERIES) {
    meter.createObservableCounter(name, options).addCallback((r) => {
      for (const s of this.series.values()) r.observe(s.value, s.attrs);
    });
  }

  /** Adds `n` to the series `key` names; `attrs` (its labels) is called only the first time `key` is seen. */
  add(key: string, attrs: () => Attributes, n = 1): void {
    let s = this.series.get(key);
    if (s === undefined) {
      // Past the bound, new label sets share one series, marked as OTel's SDK marks its own overflow.
      const full = this.series.size >= this.maxSeries;
      const k = full ? OVERFLOW_KEY : key;
      s = this.series.get(k);
      if (s === undefined) this.series.set(k, (s = { attrs: full ? { 'otel.metric.overflow': true } : attrs(), value: 0 }));
    }
    s.value += n;
  }
}

const OVERFLOW_KEY = '\u0000overflow';
