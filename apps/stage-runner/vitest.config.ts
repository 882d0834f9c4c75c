import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'stage-runner',
    include: ['src/**/*.test.ts'],
  },
});
