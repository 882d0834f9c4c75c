import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'store-csv',
    include: ['src/**/*.test.ts'],
  },
});
