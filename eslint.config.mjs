import nx from '@nx/eslint-plugin';

// Tags (in each package.json's "nx" field) say what a project is; these rules say
// what it may depend on. The domain stands alone; adapters and the HTTP library see
// only the domain; a stage wires libraries together; nothing depends on a stage.
const depConstraints = [
  { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:domain'] },
  { sourceTag: 'type:adapter', onlyDependOnLibsWithTags: ['type:domain'] },
  { sourceTag: 'type:http', onlyDependOnLibsWithTags: ['type:domain'] },
  { sourceTag: 'type:infra', onlyDependOnLibsWithTags: ['type:domain'] },
  // Tooling: the dataset generator and the k6 load tests with their Node API.
  { sourceTag: 'type:tooling', onlyDependOnLibsWithTags: ['type:domain', 'type:tooling'] },
  { sourceTag: 'type:stage', onlyDependOnLibsWithTags: ['type:domain', 'type:adapter', 'type:http', 'type:infra'] },
  { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:domain', 'type:adapter', 'type:http', 'type:infra', 'type:tooling'] },
  // The docs tooling renders the apps' results with their own code and checks the
  // commands the docs show with the apps' own parsers; nothing depends on it.
  { sourceTag: 'type:docs', onlyDependOnLibsWithTags: ['type:domain', 'type:adapter', 'type:http', 'type:infra', 'type:tooling', 'type:app'] },
];

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
    files: ['libs/domain/src/**/*.ts'],
    ignores: ['libs/domain/src/**/*.test.ts', 'libs/domain/src/**/*.bench.ts', 'libs/domain/src/testing/**'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: ioModules.flatMap((name) => [name, `node:${name}`]).map((name) => ({ name, message: 'The domain does no I/O.' })),
      }],
    },
  },
];
