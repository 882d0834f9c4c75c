import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: '01-csv',
    include: ['src/**/*.test.ts'],
  },
});
