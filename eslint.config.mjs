import { readFileSync } from 'node:fs';
import nx from '@nx/eslint-plugin';

// Tags (in each package.json's "nx" field) say what a project is; eslint.boundaries.json
// says what each may depend on, and why (docs/architecture.md renders it). The domain
// stands alone; adapters and the HTTP library see only the domain; a stage wires
// libraries together; nothing depends on a stage.
const boundaries = JSON.parse(readFileSync(new URL('./eslint.boundaries.json', import.meta.url), 'utf8'));
const depConstraints = boundaries.depConstraints.map(({ sourceTag, onlyDependOnLibsWithTags }) => ({ sourceTag, onlyDependOnLibsWithTags }));

// The domain computes; it never touches the disk, the network or a driver.
const ioModules = [
  'fs', 'fs/promises', 'net', 'http', 'https', 'http2', 'dgram', 'dns', 'tls', 'child_process', 'cluster', 'worker_threads',
  'better-sqlite3', 'pg', 'ioredis', 'express', 'csv-parse', 'csv-stringify', 'pino', 'prom-client',
];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  { ignores: ['**/dist/**', '**/node_modules/**', '.nx/**', 'data/**', 'coverage/**'] },
  {
    files: ['**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': ['error', { enforceBuildableLibDependency: false, allow: [], depConstraints }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // A composition root declares what its callbacks read before it can assign it
      // (the outbox worker needs the server's URL; the app's callbacks wake it).
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    // Tests may start real services (type:infra) and compose adapters, e.g. a cache over a
    // database store, or the HTTP app over the in-memory store.
    files: ['**/*.test.ts', '**/*.bench.ts', '**/src/test/**/*.ts', '**/test-support.ts'],
    rules: {
      '@nx/enforce-module-boundaries': ['error', {
        enforceBuildableLibDependency: false,
        allow: [],
        depConstraints: depConstraints.map((constraint) =>
          constraint.sourceTag === 'type:adapter' || constraint.sourceTag === 'type:http'
            ? { ...constraint, onlyDependOnLibsWithTags: ['type:domain', 'type:adapter', 'type:infra'] }
            : constraint,
        ),
      }],
    },
  },
  {
    // The browser tests start stages exactly as the conformance suites do, with their harness.
    files: ['apps/e2e/src/**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': ['error', { enforceBuildableLibDependency: false, allow: ['@santa/conformance'], depConstraints }],
    },
  },
  {
    files: ['libs/domain/src/**/*.ts'],
    ignores: ['libs/domain/src/**/*.test.ts', 'libs/domain/src/**/*.bench.ts', 'libs/domain/src/testing/**'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: ioModules.flatMap((name) => [name, `node:${name}`]).map((name) => ({ name, message: 'The domain does no I/O.' })),
      }],
    },
  },
];
