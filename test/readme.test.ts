import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { directoryEnv, processEnv } from '@presence/runtime';
import { edgeEnv } from '@presence/sip-edge';
import { publicationEnv } from '@presence/publication';
import { subscriptionEnv } from '@presence/subscription';
import { xmppEnv } from '@presence/xmpp-edge';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './support/process.js';

describe('README', () => {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const rows = [...readme.matchAll(/^\| `([A-Z0-9_]+)` \| ([^|]+) \|/gm)].map((m) => [m[1]!, m[2]!.trim()] as const);

  const allEnv = { ...processEnv, ...directoryEnv, ...edgeEnv, ...publicationEnv, ...subscriptionEnv, ...xmppEnv };

  it('documents exactly the environment variables the processes read, with their defaults', () => {
    expect(rows.map(([name]) => name).sort()).toEqual(Object.keys(allEnv).sort());
    for (const [name, def] of rows) {
      const d = allEnv[name as keyof typeof allEnv].defaultText;
      if (d !== undefined) expect(def, name).toBe(`\`${d}\``);
    }
  });

  it('shows the two set-up commands', () => {
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm test');
  });
});
