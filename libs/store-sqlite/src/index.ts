export { openSqliteStore, type SqliteStore, type SqliteStoreOptions } from './sqlite-store';
export { migrate, loadMigrations, SchemaTooNewError, type Migration, type MigrationResult } from './migrate';
