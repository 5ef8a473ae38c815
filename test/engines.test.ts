import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './support/process.js';

const semver = createRequire(import.meta.url)('semver') as {
  satisfies(version: string, range: string): boolean;
  minVersion(range: string): { version: string } | null;
};

const pkg = JSON.parse(readFileSync(`${repoRoot}package.json`, 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(`${repoRoot}package-lock.json`, 'utf8')) as { packages: Record<string, { engines?: { node?: string } | string[] }> };

describe('one supported Node range (issue 16 item 5)', () => {
  const range = pkg.engines.node;
  // The range has a lower end for each major it admits: each must run every installed package.
  const floors = range.split('||').map((part) => semver.minVersion(part.trim())!.version);

  it('the Node running the tests is in the range (CI runs on it; .npmrc engine-strict makes npm ci refuse otherwise)', () => {
    expect(semver.satisfies(process.versions.node, range)).toBe(true);
    expect(readFileSync(`${repoRoot}.npmrc`, 'utf8')).toMatch(/^engine-strict=true$/m);
  });

  it('every locked dependency runs on the lowest Node of each major in the range (no EBADENGINE)', () => {
    expect(floors.length).toBeGreaterThan(0);
    const misfits: string[] = [];
    for (const [path, p] of Object.entries(lock.packages)) {
      const need = !Array.isArray(p.engines) ? p.engines?.node : undefined;
      if (path === '' || !need || !path.includes('node_modules/')) continue;
      for (const floor of floors) if (!semver.satisfies(floor, need)) misfits.push(`${path} needs node ${need}, range allows ${floor}`);
    }
    expect(misfits).toEqual([]);
  });

  it('README states the same range', () => {
    expect(readFileSync(`${repoRoot}README.md`, 'utf8')).toContain(`Node ${range}`);
  });
});
