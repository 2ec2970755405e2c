import { defineProject } from 'vitest/config';

export default defineProject({
  ssr: { resolve: { conditions: ['@foundation/source'] } },
  test: { name: 'foundation', include: ['test/**/*.test.ts'], testTimeout: 30000 },
});
