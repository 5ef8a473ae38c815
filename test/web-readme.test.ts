import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { webEnv } from '@presence/web';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './support/process.js';

describe('README "Web service"', () => {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Web service'), readme.indexOf('\n## ', readme.indexOf('## Web service') + 5));

  it('documents every setting of the web service with its default', () => {
    const listed = [...section.matchAll(/^- `(WEB_[A-Z0-9_]+)` \(default:? ([^)]+)\)/gm)].map((m) => m[1]!);
    const extra = [...section.matchAll(/and `(WEB_[A-Z0-9_]+)` \(default `([^`]+)`\)/g)].map((m) => m[1]!);
    expect([...listed, ...extra].sort()).toEqual(Object.keys(webEnv).sort());
    for (const [name, spec] of Object.entries(webEnv)) {
      const d = (spec as { defaultText?: string }).defaultText;
      if (d !== undefined) expect(section, name).toMatch(new RegExp(`\`${name}\` \\(default \`${d}\`\\)`));
    }
  });

  it('shows the committed screenshot of the page', () => {
    expect(section).toContain('![The presence page');
    const png = readFileSync(join(repoRoot, 'docs/web-page.png'));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
  });
});
