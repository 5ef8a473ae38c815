import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

// Tests import the workspace packages from source, so `vitest` needs no build; processes that tests
// spawn (`node services/*/dist/main.js`) run the build that `npm test` makes first (pretest).
const alias = [
  { find: /^@presence\/(bus|state|telemetry|runtime|sip|documents|presence|gateway)$/, replacement: `${root}libs/$1/src/index.ts` },
  { find: /^@presence\/(sip-edge|xmpp-edge|publication|aggregation|subscription|federation|web|embedded)$/, replacement: `${root}services/$1/src/index.ts` },
];

export default defineConfig({
  resolve: { alias },
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['{libs,services}/*/test/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['{libs,services}/*/test/**/*.int.test.ts', 'test/**/*.int.test.ts'],
          exclude: ['**/node_modules/**'],
          globalSetup: ['./test/support/global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
    ],
  },
});
