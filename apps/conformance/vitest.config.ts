import { defineProject } from 'vitest/config';

// Each file starts real stage processes; running them one at a time keeps a
// 2-core machine from timing out requests.
export default defineProject({
  test: {
    name: 'conformance',
    include: ['src/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
