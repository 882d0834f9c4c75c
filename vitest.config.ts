import { defineConfig } from 'vitest/config';

// One run covers every project with tests; each keeps its own vitest.config.ts.
// Stages are wiring only: the conformance suite (apps/conformance) tests them as processes.
export default defineConfig({
  test: {
    projects: ['libs/*', 'apps/*', 'infra/services'],
  },
});
