// The load model's results as a Markdown table (the README's "Performance" section), from
// bench/results/load-*.json: per run, the highest rate sustained by the bar (p99 < 50 ms
// embedded, < 100 ms clustered; ≥ 95 % of target publishes accepted; every accepted publish
// delivered to every subscription), with its latency and CPU per notification.
//   node bench/summary.mjs [--match substring]
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values: o } = parseArgs({ options: { match: { type: 'string', default: '' } } });
const dir = new URL('./results/', import.meta.url);
const rows = [];
for (const f of readdirSync(dir).filter((x) => /^load-.*\.json$/.test(x) && x.includes(o.match)).sort()) {
  const r = JSON.parse(readFileSync(new URL(f, dir), 'utf8')).results;
  if (!Array.isArray(r.rates)) continue; // a comparison, not a run
  const bar = r.mode === 'embedded' ? 50 : 100;
  const ok = (x) => x.latencyMs.p99 !== null && x.latencyMs.p99 < bar && x.acceptedShare >= 0.95 && x.delivered >= 0.999 && x.duplicates === 0 && x.outOfOrder === 0;
  const best = r.rates.filter(ok).sort((a, b) => b.notificationsPerSecond - a.notificationsPerSecond)[0];
  const cpu = r.rates.map((x) => x.cpuMicrosecondsPerNotification).filter((x) => x !== null);
  rows.push([
    f.slice(5, -5),
    r.subscriptionInstances > 1 ? `${r.mode} (${r.subscriptionInstances} subscription instances)` : r.mode,
    r.variant,
    `${r.presentities}×${r.watchers}`,
    best ? String(best.notificationsPerSecond) : r.rates.length ? 'none' : '–',
    best ? `${best.latencyMs.p50} / ${best.latencyMs.p99}` : '–',
    best ? String(best.cpuMicrosecondsPerNotification) : '–',
    cpu.length ? `${Math.min(...cpu)}–${Math.max(...cpu)}` : '–',
    r.rates.reduce((a, x) => a + x.duplicates + x.outOfOrder, 0) === 0 ? '0' : 'yes',
    String(r.probe.missing),
    String(r.memory.allInBytesPerSubscription),
  ]);
}
const head = ['run', 'mode', 'variant', 'P×W', 'sustained notif/s', 'p50 / p99 ms there', 'CPU µs/notif there', 'CPU µs/notif (all rates)', 'dup/out-of-order', 'probe missing', 'B per resource subscription'];
console.log(`| ${head.join(' | ')} |`);
console.log(`|${head.map(() => '---').join('|')}|`);
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
