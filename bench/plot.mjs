// Latency vs rate, one line per system/configuration, from bench/results/load-*.json, as a PNG
// (a small raster renderer with a 5x7 bitmap font: no dependency, no native module).
//   node bench/plot.mjs [--out bench/results/load-latency.png] [--match substring[,substring…]] [--exclude substring]
// (every --match substring must be in the file name; the PIDF side-by-side plots one line per system)
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import zlib from 'node:zlib';

const { values: o } = parseArgs({
  options: { out: { type: 'string', default: 'bench/results/load-latency.png' }, match: { type: 'string', default: '' }, exclude: { type: 'string', default: '\u0000' } },
});
const dir = new URL('./results/', import.meta.url);
const series = readdirSync(dir)
  .filter((f) => /^load-.*\.json$/.test(f) && o.match.split(',').every((m) => f.includes(m)) && !f.includes(o.exclude))
  .sort()
  .map((f) => {
    const r = JSON.parse(readFileSync(new URL(f, dir), 'utf8')).results;
    if (!Array.isArray(r.rates)) return { name: f, pts: [] }; // a comparison, not a run
    // x: the offered notification rate (target publishes/s × watchers), so an overloaded point
    // stays where it was aimed instead of sliding back to what got through.
    const pts = r.rates.filter((x) => x.latencyMs.p99 !== null).map((x) => ({ x: x.targetPublishesPerSecond * r.watchers, p50: x.latencyMs.p50, p99: x.latencyMs.p99 }));
    return { name: f.slice(5, -5), pts };
  })
  .filter((s) => s.pts.length > 0);

// 5x7 glyphs, one byte per row, bit 4 = leftmost column.
const FONT = {
  0: '0E11131519110E', 1: '040C040404040E', 2: '0E11010204081F', 3: '1F02040201110E', 4: '02060A121F0202',
  5: '1F101E0101110E', 6: '0608101E11110E', 7: '1F010204080808', 8: '0E11110E11110E', 9: '0E11110F01020C',
  A: '0E11111F111111', B: '1E11111E11111E', C: '0E11101010110E', D: '1C12111111121C', E: '1F10101E10101F',
  F: '1F10101E101010', G: '0E11101711110F', H: '1111111F111111', I: '0E04040404040E', J: '0702020202120C',
  K: '11121418141211', L: '1010101010101F', M: '111B1515111111', N: '11111915131111', O: '0E11111111110E',
  P: '1E11111E101010', Q: '0E11111115120D', R: '1E11111E141211', S: '0F10100E01011E', T: '1F040404040404',
  U: '1111111111110E', V: '11111111110A04', W: '1111111515150A', X: '11110A040A1111', Y: '1111110A040404',
  Z: '1F01020408101F', ' ': '00000000000000', '-': '0000001F000000', '.': '00000000000C0C', '/': '00010204081000',
  ':': '000C0C000C0C00', '(': '02040808080402', ')': '08040202020408', '<': '02040810080402', '>': '08040201020408',
  '=': '00001F001F0000', ',': '000000000C0408', '%': '18190204081303', _: '0000000000001F', '×': '00110A040A1100',
};

const Wd = 1200;
const Ht = 600;
const px = Buffer.alloc(Wd * Ht * 3, 255);
const set = (x, y, c) => {
  x = Math.round(x);
  y = Math.round(y);
  if (x < 0 || y < 0 || x >= Wd || y >= Ht) return;
  const i = (y * Wd + x) * 3;
  px[i] = c[0];
  px[i + 1] = c[1];
  px[i + 2] = c[2];
};
const rect = (x, y, w, h, c) => {
  for (let i = 0; i < w; i++) for (let j = 0; j < h; j++) set(x + i, y + j, c);
};
function line(x0, y0, x1, y1, c, width = 1, dash = 0) {
  const n = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0), 1);
  for (let k = 0; k <= n; k++) {
    if (dash && Math.floor(k / dash) % 2 === 1) continue;
    const x = x0 + ((x1 - x0) * k) / n;
    const y = y0 + ((y1 - y0) * k) / n;
    rect(x - (width >> 1), y - (width >> 1), width, width, c);
  }
}
function text(s, x, y, c, scale = 2, align = 'left') {
  const str = String(s).toUpperCase();
  const w = str.length * 6 * scale;
  let cx = align === 'right' ? x - w : align === 'center' ? x - w / 2 : x;
  for (const ch of str) {
    const g = FONT[ch] ?? FONT[' '];
    for (let row = 0; row < 7; row++) {
      const bits = parseInt(g.slice(row * 2, row * 2 + 2), 16);
      for (let col = 0; col < 5; col++) if (bits & (0x10 >> col)) rect(cx + col * scale, y + row * scale, scale, scale, c);
    }
    cx += 6 * scale;
  }
}

const L = 90;
const R = 470;
const T = 50;
const B = 70;
const plotW = Wd - L - R;
const plotH = Ht - T - B;
const maxX = Math.max(1000, ...series.flatMap((s) => s.pts.map((p) => p.x)));
const stepX = [1000, 2000, 2500, 5000, 10000, 20000].find((s) => maxX / s <= 8) ?? 50000;
const xMax = Math.ceil(maxX / stepX) * stepX;
const yMinLog = 0; // 1 ms
const yMaxLog = Math.max(3, Math.ceil(Math.log10(Math.max(...series.flatMap((s) => s.pts.map((p) => p.p99)), 1000))));
const X = (v) => L + (v / xMax) * plotW;
const Y = (ms) => T + plotH - ((Math.log10(Math.max(ms, 1)) - yMinLog) / (yMaxLog - yMinLog)) * plotH;
const grey = [210, 210, 210];
const black = [0, 0, 0];

text('latency vs notification rate (p99 solid, p50 dashed)', L, 14, black, 2);
for (let v = 0; v <= xMax; v += stepX) {
  line(X(v), T, X(v), T + plotH, grey);
  text(v, X(v), T + plotH + 10, black, 2, 'center');
}
for (let e = yMinLog; e <= yMaxLog; e++) {
  line(L, Y(10 ** e), L + plotW, Y(10 ** e), grey);
  text(`${10 ** e}`, L - 8, Y(10 ** e) - 7, black, 2, 'right');
}
line(L, Y(100), L + plotW, Y(100), [220, 60, 60], 1, 6);
text('100 ms', L + plotW - 4, Y(100) - 18, [220, 60, 60], 2, 'right');
line(L, T, L, T + plotH, black, 2);
line(L, T + plotH, L + plotW, T + plotH, black, 2);
text('offered notifications/s (publishes/s x watchers)', L + plotW / 2, Ht - 28, black, 2, 'center');
text('ms', 20, T + plotH / 2, black, 2);

const COLORS = [[31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189], [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207]];
series.forEach((s, k) => {
  const c = COLORS[k % COLORS.length];
  const pts = [...s.pts].sort((a, b) => a.x - b.x);
  for (let i = 1; i < pts.length; i++) {
    line(X(pts[i - 1].x), Y(pts[i - 1].p99), X(pts[i].x), Y(pts[i].p99), c, 3);
    line(X(pts[i - 1].x), Y(pts[i - 1].p50), X(pts[i].x), Y(pts[i].p50), c, 1, 5);
  }
  for (const p of pts) {
    rect(X(p.x) - 4, Y(p.p99) - 4, 9, 9, c);
    rect(X(p.x) - 2, Y(p.p50) - 2, 5, 5, c);
  }
  const ly = T + 10 + k * 22;
  rect(Wd - R + 20, ly, 24, 12, c);
  text(s.name.replaceAll('-', ' ').slice(0, 34), Wd - R + 52, ly, black, 2);
});

// PNG: 8-bit RGB, filter 0 on every row.
const raw = Buffer.alloc((Wd * 3 + 1) * Ht);
for (let y = 0; y < Ht; y++) px.copy(raw, y * (Wd * 3 + 1) + 1, y * Wd * 3, (y + 1) * Wd * 3);
const chunk = (type, data) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(td) >>> 0);
  return Buffer.concat([len, td, crc]);
};
const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(Wd, 0);
ihdr.writeUInt32BE(Ht, 4);
ihdr[8] = 8;
ihdr[9] = 2;
writeFileSync(o.out, Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]));
console.log(`wrote ${o.out} (${series.length} series)`);
