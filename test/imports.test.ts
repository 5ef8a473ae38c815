import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './support/process.js';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('house style', () => {
  it('keeps socket code (node:net, node:dgram, node:tls) in services/*/src/transport only', () => {
    const offenders: string[] = [];
    for (const top of ['libs', 'services']) {
      for (const pkg of readdirSync(join(repoRoot, top))) {
        const src = join(repoRoot, top, pkg, 'src');
        let list: string[] = [];
        try {
          list = files(src);
        } catch {
          continue;
        }
        for (const f of list) {
          const rel = relative(repoRoot, f);
          if (/^services\/[^/]+\/src\/transport\//.test(rel)) continue;
          if (/from ['"](node:)?(net|dgram|tls)['"]/.test(readFileSync(f, 'utf8'))) offenders.push(rel);
        }
      }
    }
    expect(offenders).toEqual([]);
  });
});
