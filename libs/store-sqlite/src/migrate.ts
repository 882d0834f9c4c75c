import { readdirSync, readFileSync } from 'node:fs';
import type Database from 'better-sqlite3';

/**
 * Schema migrations over SQLite's own `PRAGMA user_version`: migration N is the file
 * `migrations/NNNN-<what it does>.sql`, and after it the database's user_version is N.
 * Pending migrations run in one IMMEDIATE transaction, so a database is always at
 * exactly one version, and two processes opening a fresh file cannot both apply them.
 */

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export interface MigrationResult {
  from: number;
  to: number;
}

/** The file was written by a newer build of the application, whose schema this one does not know. */
export class SchemaTooNewError extends Error {
  override readonly name = 'SchemaTooNewError';
  constructor(
    readonly databaseVersion: number,
    readonly knownVersion: number,
  ) {
    super(
      `The database is at schema version ${databaseVersion}, but this build knows versions up to ${knownVersion}. ` +
        'Run a newer build of the application, or restore a backup made by this one.',
    );
  }
}

const MIGRATION_FILE = /^(\d{4})-([a-z0-9-]+)\.sql$/;

/** The migrations shipped with this package, in order; refuses gaps and duplicates. */
export function loadMigrations(directory: URL = new URL('./migrations/', import.meta.url)): Migration[] {
  const migrations = readdirSync(directory)
    .filter((file) => file.endsWith('.sql'))
    .map((file) => {
      const match = MIGRATION_FILE.exec(file);
      if (!match) throw new Error(`Migration file ${file} is not named NNNN-what-it-does.sql`);
      return {
        version: Number(match[1]),
        name: match[2].replaceAll('-', ' '),
        sql: readFileSync(new URL(file, directory), 'utf8'),
      };
    })
    .sort((a, b) => a.version - b.version);
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(`Migrations must be numbered 1, 2, 3, ... without gaps; found ${migration.version} at position ${index + 1}`);
    }
  });
  return migrations;
}

/** Brings the database up to the newest migration; throws SchemaTooNewError for a newer file. */
export function migrate(db: Database.Database, migrations: readonly Migration[] = loadMigrations()): MigrationResult {
  const latest = migrations.length === 0 ? 0 : migrations[migrations.length - 1].version;
  const apply = db.transaction((): MigrationResult => {
    // Read inside the write lock: another process may have migrated while we waited for it.
    const from = db.pragma('user_version', { simple: true }) as number;
    if (from > latest) throw new SchemaTooNewError(from, latest);
    for (const migration of migrations) {
      if (migration.version <= from) continue;
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    }
    return { from, to: latest };
  });
  return apply.immediate();
}
