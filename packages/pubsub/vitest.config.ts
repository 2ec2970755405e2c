import { defineProject } from 'vitest/config';

export default defineProject({
  ssr: { resolve: { conditions: ['@foundation/source'] } },
  test: { name: 'pubsub', include: ['test/**/*.test.ts'], testTimeout: 20000 },
});
