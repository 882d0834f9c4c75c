import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: '02-sqlite',
    include: ['src/**/*.test.ts'],
  },
});
