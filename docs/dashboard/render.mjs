// Renders the Grafana dashboard's panels (deploy/grafana/presence.json) from a real run into a PNG:
// the embedded server under a scripted load (load.mjs), scraped by a real Prometheus, each panel's
// PromQL queried from it and drawn, the page photographed by headless Chromium. No Docker needed.
//   npm run build && node docs/dashboard/render.mjs [--seconds 150] [--out docs/dashboard.png]
// Needs `prometheus` and `chromium` on PATH (Debian: apt-get install prometheus chromium).
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runOffice } from './load.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const { values: args } = parseArgs({ options: { seconds: { type: 'string', default: '150' }, out: { type: 'string', default: 'docs/dashboard.png' } } });
const durationMs = Number(args.seconds) * 1000;
const STEP_S = 2;

const freePort = () =>
  new Promise((res) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const need = (cmd) => {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
  } catch {
    throw new Error(`${cmd} is not installed: apt-get install ${cmd}`);
  }
};

async function waitFor(url, ms) {
  for (const until = Date.now() + ms; Date.now() < until; await sleep(200)) {
    if (await fetch(url).then((r) => r.ok, () => false)) return;
  }
  throw new Error(`${url} did not answer within ${ms} ms`);
}

need('prometheus');
need('chromium');
const dir = mkdtempSync(join(tmpdir(), 'presence-dashboard-'));
const [httpPort, sipPort, promPort] = [await freePort(), await freePort(), await freePort()];

// Forty people in two pools.
const users = Array.from({ length: 40 }, (_, i) => ({ uri: `sip:user${String(i + 1).padStart(2, '0')}@contoso.com`, password: `password-${i + 1}`, displayName: `User ${i + 1}`, pool: i % 2 ? 'pool2' : 'pool1' }));
writeFileSync(join(dir, 'users.json'), JSON.stringify({ users }));

const children = [];
const start = (cmd, argv, env = {}) => {
  const c = spawn(cmd, argv, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  c.stderr.on('data', (d) => (err = (err + d).slice(-4000)));
  c.on('exit', (code) => code && code !== 143 && !c.stopping && console.error(`${cmd} exited ${code}: ${err}`));
  children.push(c);
  return c;
};
const stopAll = () => {
  for (const c of children) {
    c.stopping = true;
    c.kill('SIGTERM');
  }
};
process.on('exit', stopAll);

start(process.execPath, ['services/embedded/dist/main.js'], {
  HTTP_PORT: String(httpPort),
  HTTP_HOST: '127.0.0.1',
  SIP_PORT: String(sipPort),
  SIP_TLS_PORT: '0',
  XMPP_PORT: '0',
  SIP_HOST: '127.0.0.1',
  PRESENCE_USERS_FILE: join(dir, 'users.json'),
  PRESENCE_POOLS: 'pool1,pool2',
  // One source address (this script) for everyone: the guessing intruder must not lock the office out.
  SIP_AUTH_MAX_FAILURES_PER_SOURCE: '1000000',
  LOG_LEVEL: 'warn',
});
await waitFor(`http://127.0.0.1:${httpPort}/readyz`, 15_000);

writeFileSync(
  join(dir, 'prometheus.yml'),
  `global: { scrape_interval: ${STEP_S}s }
scrape_configs:
  - job_name: presence
    honor_labels: true
    static_configs:
      - targets: ["127.0.0.1:${httpPort}"]
        labels: { service: presence, instance: embedded }
`,
);
start('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${promPort}`]);
await waitFor(`http://127.0.0.1:${promPort}/-/ready`, 15_000);

const t0 = Date.now() / 1000;
console.log(`load for ${durationMs / 1000} s: SIP on ${sipPort}, metrics on ${httpPort}, Prometheus on ${promPort}`);
await runOffice({ port: sipPort, users, durationMs });
await sleep(3 * STEP_S * 1000);
const t1 = Date.now() / 1000;

const dashboard = JSON.parse(readFileSync(join(root, 'deploy/grafana/presence.json'), 'utf8'));
async function queryRange(expr) {
  const u = new URL(`http://127.0.0.1:${promPort}/api/v1/query_range`);
  u.search = new URLSearchParams({ query: expr.replaceAll('$pool', '.*'), start: String(t0), end: String(t1), step: String(STEP_S) }).toString();
  const r = await fetch(u).then((x) => x.json());
  if (r.status !== 'success') throw new Error(`${expr}: ${r.error}`);
  return r.data.result;
}
const legend = (fmt, labels) => fmt.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, k) => labels[k] ?? '');
const panels = [];
for (const p of dashboard.panels) {
  if (p.type === 'row') {
    panels.push({ row: true, title: p.title, gridPos: p.gridPos });
    continue;
  }
  const series = [];
  for (const t of p.targets) for (const s of await queryRange(t.expr)) series.push({ name: legend(t.legendFormat, s.metric) || t.expr, points: s.values.map(([ts, v]) => [ts - t0, Number(v)]) });
  panels.push({ title: p.title, unit: p.fieldConfig.defaults.unit, gridPos: p.gridPos, series });
}
stopAll();

// Drawn like Grafana's dark theme: 24 columns, 30 px per grid row.
const W = 1600;
const COL = W / 24;
const ROW = 30;
const COLORS = ['#73bf69', '#f2cc0c', '#8ab8ff', '#ff780a', '#f2495c', '#5794f2', '#b877d9', '#fade2a', '#96d98d', '#ffb357'];
const fmt = (v, unit) => {
  if (!Number.isFinite(v)) return '';
  if (unit === 'bytes') return v >= 1e9 ? `${(v / 1e9).toFixed(1)} GB` : v >= 1e6 ? `${(v / 1e6).toFixed(0)} MB` : `${(v / 1e3).toFixed(0)} kB`;
  if (unit === 's') return v >= 1 ? `${v.toFixed(1)} s` : v >= 0.001 ? `${(v * 1000).toFixed(v < 0.01 ? 1 : 0)} ms` : `${(v * 1e6).toFixed(0)} µs`;
  if (unit === 'percentunit') return `${(v * 100).toFixed(v < 0.1 ? 1 : 0)}%`;
  const n = v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
  return unit === 'reqps' ? `${n} req/s` : unit === 'ops' ? `${n}/s` : n;
};
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
function chart(p, w, h) {
  const pad = { l: 64, r: 10, t: 8, b: 22 };
  const legendH = 16 * Math.min(3, Math.ceil(p.series.length / 3));
  const ph = h - pad.t - pad.b - legendH;
  const pw = w - pad.l - pad.r;
  const xMax = t1 - t0;
  const yMax = Math.max(1e-9, ...p.series.flatMap((s) => s.points.map(([, v]) => (Number.isFinite(v) ? v : 0)))) * 1.1;
  const x = (t) => pad.l + (t / xMax) * pw;
  const y = (v) => pad.t + ph - (v / yMax) * ph;
  let svg = '';
  for (let i = 0; i <= 4; i++) {
    const v = (yMax / 4) * i;
    svg += `<line x1="${pad.l}" x2="${w - pad.r}" y1="${y(v)}" y2="${y(v)}" stroke="#2c3235"/><text x="${pad.l - 6}" y="${y(v) + 4}" fill="#8e8e8e" font-size="11" text-anchor="end">${esc(fmt(v, p.unit))}</text>`;
  }
  for (let s = 0; s <= xMax; s += 30) svg += `<text x="${x(s)}" y="${h - legendH - 6}" fill="#8e8e8e" font-size="11" text-anchor="middle">${s}s</text>`;
  p.series.forEach((s, i) => {
    const d = s.points.filter(([, v]) => Number.isFinite(v)).map(([t, v], j) => `${j ? 'L' : 'M'}${x(t).toFixed(1)},${y(v).toFixed(1)}`).join('');
    svg += `<path d="${d}" fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="1.6"/>`;
  });
  const items = p.series.slice(0, 9).map((s, i) => `<span><i style="background:${COLORS[i % COLORS.length]}"></i>${esc(s.name)}</span>`).join('');
  const more = p.series.length > 9 ? `<span>+${p.series.length - 9} more</span>` : '';
  const empty = p.series.length === 0 ? `<text x="${w / 2}" y="${h / 2}" fill="#8e8e8e" font-size="13" text-anchor="middle">No data</text>` : '';
  return `<svg width="${w}" height="${h - legendH}">${svg}${empty}</svg><div class="legend">${items}${more}</div>`;
}
let body = '';
let height = 0;
for (const p of panels) {
  const { x, y, w, h } = p.gridPos;
  const [left, top, width, hpx] = [x * COL, y * ROW, w * COL, h * ROW];
  height = Math.max(height, top + hpx);
  if (p.row) body += `<div class="row" style="left:${left + 8}px;top:${top}px">${esc(p.title)}</div>`;
  else body += `<div class="panel" style="left:${left + 4}px;top:${top + 4}px;width:${width - 8}px;height:${hpx - 8}px"><div class="title">${esc(p.title)}</div>${chart(p, width - 10, hpx - 40)}</div>`;
}
const html = `<!doctype html><meta charset="utf-8"><style>
body{margin:0;background:#111217;font-family:'DejaVu Sans',sans-serif;color:#ccccdc}
header{height:44px;padding:0 12px;display:flex;align-items:center;gap:16px;font-size:17px}
header small{color:#8e8e8e;font-size:12px}
.grid{position:relative;width:${W}px;height:${height + 8}px}
.panel{position:absolute;background:#181b1f;border:1px solid #2c3235;border-radius:3px;overflow:hidden}
.title{font-size:13px;font-weight:600;padding:6px 8px 2px}
.row{position:absolute;font-size:15px;font-weight:600;line-height:30px}
.legend{font-size:11px;padding:0 8px;display:flex;flex-wrap:wrap;gap:2px 12px;color:#ccccdc}
.legend i{display:inline-block;width:12px;height:3px;margin-right:4px;vertical-align:middle}
</style><header>Presence server <small>deploy/grafana/presence.json · embedded server, ${users.length} users in 2 pools, ${Math.round(t1 - t0)} s of scripted load (docs/dashboard/load.mjs) · scraped every ${STEP_S} s by Prometheus · pool = All</small></header><div class="grid">${body}</div>`;
writeFileSync(join(dir, 'dashboard.html'), html);
const out = resolve(root, args.out);
execFileSync(
  'chromium',
  ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--hide-scrollbars', `--window-size=${W},${height + 56}`, `--screenshot=${out}`, `file://${join(dir, 'dashboard.html')}`],
  { stdio: 'ignore' },
);
console.log(`wrote ${out} (${panels.filter((p) => !p.row).length} panels; page at ${join(dir, 'dashboard.html')})`);
process.exit(0);
