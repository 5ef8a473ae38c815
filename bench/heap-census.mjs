// Where a V8 heap snapshot's bytes are: self size grouped by node type and name (constructor,
// or "string"/"concatenated string"/… for the rest), largest first, optionally per unit.
//   node --max-old-space-size=8000 bench/heap-census.mjs <file.heapsnapshot> [--per 100000] [--top 30]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values: o, positionals } = parseArgs({ allowPositionals: true, options: { per: { type: 'string', default: '1' }, top: { type: 'string', default: '30' } } });
const snap = JSON.parse(readFileSync(positionals[0], 'utf8'));
const meta = snap.snapshot.meta;
const F = meta.node_fields.length;
const iType = meta.node_fields.indexOf('type');
const iName = meta.node_fields.indexOf('name');
const iSize = meta.node_fields.indexOf('self_size');
const types = meta.node_types[iType];
const groups = new Map();
let total = 0;
for (let i = 0; i < snap.nodes.length; i += F) {
  const type = types[snap.nodes[i + iType]];
  const size = snap.nodes[i + iSize];
  total += size;
  // Strings and arrays by type (their "name" is their content); objects by constructor.
  const key = type === 'object' || type === 'closure' || type === 'native' ? `${type} ${snap.strings[snap.nodes[i + iName]]}` : type === 'hidden' || type === 'code' ? `${type} ${snap.strings[snap.nodes[i + iName]].slice(0, 40)}` : type;
  const g = groups.get(key) ?? { count: 0, bytes: 0 };
  g.count++;
  g.bytes += size;
  groups.set(key, g);
}
const per = Number(o.per);
console.log(`total ${total} B in ${snap.nodes.length / F} nodes; per unit (${per}): ${(total / per).toFixed(1)} B`);
for (const [k, g] of [...groups].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, Number(o.top))) console.log(`${(g.bytes / per).toFixed(1).padStart(9)} B/unit ${String(g.count).padStart(9)} × ${k}`);
