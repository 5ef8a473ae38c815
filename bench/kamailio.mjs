// The side-by-side of issue 13: the PIDF variant of the load model against Kamailio 5.6 and against
// this server (embedded and clustered), in one run, same sizes and rates, one after the other on
// the same machine; then the ratios ours/Kamailio and a plot of latency vs rate per system.
//
//   node bench/kamailio.mjs [--presentities 100] [--watchers 20] [--rates 50,100,200]
//        [--systems kamailio,embedded,clustered] [--tag side] [--measure 20] [--kamailio-workers 4]
//
// Writes bench/results/load-pidf-<system>-<P>x<W>-<tag>.json (by bench/load.mjs),
// bench/results/load-pidf-comparison-<P>x<W>-<tag>.json and bench/results/load-pidf-latency-<tag>.png.
// Kamailio missing → fails with the apt-get line. `sustained` uses one bar for every system here:
// p99 < 100 ms, ≥ 95 % of the target publishes accepted, every accepted publish delivered.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { writeResults } from './common.mjs';
import { kamailioVersion } from './kamailio-server.mjs';

const { values: o } = parseArgs({
  options: {
    presentities: { type: 'string', default: '100' },
    watchers: { type: 'string', default: '20' },
    rates: { type: 'string', default: '50,100,200' },
    systems: { type: 'string', default: 'kamailio,embedded,clustered' },
    tag: { type: 'string', default: 'side' },
    warmup: { type: 'string', default: '5' },
    measure: { type: 'string', default: '20' },
    drain: { type: 'string', default: '5' },
    'kamailio-workers': { type: 'string', default: '4' },
  },
});
const version = kamailioVersion(); // throws the fix-it when Kamailio is not installed
const systems = o.systems.split(',');
if (systems[0] !== 'kamailio') throw new Error('--systems must start with kamailio (the ratios are against it)');
const size = `${o.presentities}x${o.watchers}`;
const files = {};
for (const system of systems) {
  console.error(`--- ${system}`);
  const args = ['bench/load.mjs', '--mode', system, '--variant', 'pidf', '--presentities', o.presentities, '--watchers', o.watchers, '--rates', o.rates, '--warmup', o.warmup, '--measure', o.measure, '--drain', o.drain, '--p99-bar', '100', '--kamailio-workers', o['kamailio-workers'], '--tag', o.tag];
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited with ${r.status}`);
  files[system] = `load-pidf-${system}-${size}-${o.tag}.json`;
}
const results = Object.fromEntries(systems.map((s) => [s, JSON.parse(readFileSync(new URL(`./results/${files[s]}`, import.meta.url), 'utf8')).results]));

const ratio = (a, b) => (a === null || a === undefined || !b ? null : +(a / b).toFixed(2));
const median = (xs) => {
  const v = xs.filter((x) => x !== null).sort((a, b) => a - b);
  return v.length ? v[Math.floor(v.length / 2)] : null;
};
const sustained = (r) => Math.max(0, ...r.rates.filter((x) => x.sustained).map((x) => x.notificationsPerSecond));
const k = results.kamailio;
const comparison = {};
for (const s of systems.slice(1)) {
  const ours = results[s];
  const perRate = ours.rates.map((x, i) => {
    const y = k.rates[i];
    return {
      targetPublishesPerSecond: x.targetPublishesPerSecond,
      notificationsPerSecond: [x.notificationsPerSecond, y.notificationsPerSecond],
      p50: ratio(x.latencyMs.p50, y.latencyMs.p50),
      p99: ratio(x.latencyMs.p99, y.latencyMs.p99),
      cpuPerNotification: ratio(x.cpuMicrosecondsPerNotification, y.cpuMicrosecondsPerNotification),
    };
  });
  comparison[s] = {
    sustainedNotificationsPerSecond: { ours: sustained(ours), kamailio: sustained(k), ratio: ratio(sustained(ours), sustained(k)) },
    medianRatio: { p50: median(perRate.map((x) => x.p50)), p99: median(perRate.map((x) => x.p99)), cpuPerNotification: median(perRate.map((x) => x.cpuPerNotification)) },
    bytesPerSubscription: { ours: ours.memory.allInBytesPerSubscription, kamailio: k.memory.allInBytesPerSubscription, ratio: ratio(ours.memory.allInBytesPerSubscription, k.memory.allInBytesPerSubscription) },
    perRate,
  };
}

// The table: one line per system and rate, then the ratios.
const lines = ['| system | publishes/s | notifications/s | p50 / p99 ms | CPU µs/notification | delivered | B/subscription |', '|---|---|---|---|---|---|---|'];
for (const s of systems)
  for (const x of results[s].rates)
    lines.push(`| ${s} | ${x.targetPublishesPerSecond} | ${x.notificationsPerSecond} | ${x.latencyMs.p50} / ${x.latencyMs.p99} | ${x.cpuMicrosecondsPerNotification} | ${x.delivered} | ${results[s].memory.allInBytesPerSubscription} |`);
lines.push('', '| ours / Kamailio | sustained notif/s | p50 (median over rates) | p99 (median) | CPU per notification (median) | memory per subscription |', '|---|---|---|---|---|---|');
for (const [s, c] of Object.entries(comparison))
  lines.push(`| ${s} | ${c.sustainedNotificationsPerSecond.ours} / ${c.sustainedNotificationsPerSecond.kamailio} = ${c.sustainedNotificationsPerSecond.ratio}× | ${c.medianRatio.p50}× | ${c.medianRatio.p99}× | ${c.medianRatio.cpuPerNotification}× | ${c.bytesPerSubscription.ratio}× |`);
console.error(lines.join('\n'));

const plot = spawnSync(process.execPath, ['bench/plot.mjs', '--match', `load-pidf-,-${size}-${o.tag}.json`, '--exclude', 'comparison', '--out', `bench/results/load-pidf-latency-${o.tag}.png`], { stdio: 'inherit' });
if (plot.status !== 0) throw new Error('plot failed');
writeResults(`load-pidf-comparison-${size}-${o.tag}`, { kamailioVersion: version, presentities: Number(o.presentities), watchers: Number(o.watchers), rates: o.rates.split(',').map(Number), files, comparison, table: lines });
process.exit(0);
