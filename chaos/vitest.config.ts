import { defineConfig } from 'vitest/config';

/** The chaos suite (`pnpm test:chaos`): its own run, not part of `pnpm test`. */
export default defineConfig({
  root: import.meta.dirname,
  ssr: { resolve: { conditions: ['@foundation/source'] } },
  test: { name: 'chaos', include: ['**/*.test.ts'], testTimeout: 170_000, hookTimeout: 60_000, fileParallelism: false },
});
