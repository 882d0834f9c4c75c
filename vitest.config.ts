import { defineConfig } from 'vitest/config';

// One run covers every project; each project keeps its own vitest.config.ts.
export default defineConfig({
  test: {
    projects: ['libs/*', 'stages/*', 'apps/*'],
  },
});
