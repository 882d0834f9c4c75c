import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'store-memory',
    include: ['src/**/*.test.ts'],
  },
});
