import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';

/** Writes a benchmark's results, with the machine they were measured on, to bench/results/<name>.json. */
export function writeResults(name, results) {
  const dir = new URL('./results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  const doc = {
    benchmark: name,
    date: new Date().toISOString(),
    node: process.version,
    cpu: os.cpus()[0]?.model,
    cores: os.cpus().length,
    results,
  };
  writeFileSync(new URL(`${name}.json`, dir), `${JSON.stringify(doc, null, 2)}\n`);
  console.log(JSON.stringify(doc, null, 2));
}

export function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * The per-user protections of the security issue (rate, in-flight, endpoints, connections) are
 * sized for one person's clients; a benchmark drives each simulated user far harder, so it lifts
 * them. What it measures is the notification path, not those limits (their own tests cover them).
 */
export const BENCH_LIMITS = {
  SIP_USER_REQUESTS_PER_S: '1000000',
  SIP_USER_BURST: '1000000',
  SIP_MAX_IN_FLIGHT_PER_USER: '10000',
  SIP_MAX_IN_FLIGHT_PER_CONNECTION: '10000',
  SIP_MAX_IN_FLIGHT: '1000000',
  SIP_MAX_CONNECTIONS_PER_USER: '100000',
  REGISTER_MAX_ENDPOINTS: '1000',
};
