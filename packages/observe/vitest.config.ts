import { defineProject } from 'vitest/config';

export default defineProject({
  ssr: { resolve: { conditions: ['@foundation/source'] } },
  test: { name: 'observe', include: ['test/**/*.test.ts'], testTimeout: 30000 },
});
