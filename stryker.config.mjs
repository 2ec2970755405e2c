// Mutation testing (StrykerJS + its vitest runner): does a broken line make a test fail? Run on
// the code whose laws the properties claim to pin down: the supervisor, the exit-signal rules,
// and the CRDT joins. `pnpm mutate` (slow: minutes; not part of CI). The score is in the README.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  vitest: { configFile: 'vitest.config.ts', related: true },
  mutate: [
    'packages/supervisor/src/**/*.ts',
    'packages/runtime/src/internal/signals.ts',
    'packages/crdt/src/causal-context.ts',
    'packages/crdt/src/internal/causal-map.ts',
    'packages/crdt/src/awlwwmap.ts',
    '!**/index.ts',
  ],
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  concurrency: 2,
  timeoutMS: 20000,
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
