export { openPostgresStore, PostgresStore, type PostgresStoreOptions } from './postgres-store';
export {
  migratePostgres,
  knownMigrations,
  SchemaTooNewError,
  SchemaNotCurrentError,
  assertSchemaCurrent,
  MIGRATIONS_DIR,
  MIGRATIONS_TABLE,
  type MigrateOptions,
  type MigrationResult,
} from './migrate';
export { POOL_DEFAULTS, isUnavailableError, toStoreError, type PoolOptions } from './pool';
