import { readdirSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { PG_MIGRATE_LOCK_ID, runner } from 'node-pg-migrate';

/** The SQL migrations, applied in the order of their timestamp prefix. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations', import.meta.url));

/** node-pg-migrate's bookkeeping table: one row per applied migration. */
export const MIGRATIONS_TABLE = 'pgmigrations';

export interface MigrationResult {
  /** Names of the migrations this call applied, oldest first (empty when the schema was current). */
  applied: string[];
}

export interface MigrateOptions {
  /** Where node-pg-migrate reports progress; silent by default. */
  log?: (message: string) => void;
}

/** The database was migrated by a newer version of this code; this one must not touch it. */
export class SchemaTooNewError extends Error {
  override readonly name = 'SchemaTooNewError';
  constructor(readonly unknownMigrations: string[]) {
    super(
      `The database schema is newer than this code: it has migration(s) ${unknownMigrations.join(', ')} ` +
        'that this version does not know. Run a version of santa-ladder that has them, or use another database.',
    );
  }
}

/** The names of the migrations this code ships, as node-pg-migrate records them. */
export function knownMigrations(): string[] {
  return readdirSync(MIGRATIONS_DIR)
    .filter((file) => extname(file) === '.sql')
    .map((file) => basename(file, '.sql'))
    .sort();
}

/**
 * Brings the schema up to date with node-pg-migrate. Safe to call from several
 * processes at once (replicas starting together): each waits for PostgreSQL's
 * advisory lock, so one migrates and the others then find nothing to do.
 * The lock is taken here rather than by the runner so that the check for a newer
 * schema happens under it too; it is node-pg-migrate's lock id, so its command
 * line, run by hand meanwhile, sees the lock as well.
 */
export async function migratePostgres(
  connectionString: string,
  options: MigrateOptions = {},
): Promise<MigrationResult> {
  const known = knownMigrations();
  const client = new pg.Client({ connectionString, application_name: 'santa-ladder migrations' });
  // A connection lost mid-migration fails the pending query, which is where it is
  // reported; the listener only keeps the event from crashing the process.
  client.on('error', () => undefined);
  await client.connect();
  try {
    // Most calls find the schema current: one query, no lock.
    if (sameNames(await appliedMigrations(client), known)) return { applied: [] };

    await client.query('SELECT pg_advisory_lock($1)', [PG_MIGRATE_LOCK_ID]);
    try {
      // node-pg-migrate applies what is missing but says nothing about migrations it
      // does not know, so an older release would run on a schema it does not understand.
      const unknown = (await appliedMigrations(client)).filter((name) => !known.includes(name));
      if (unknown.length > 0) throw new SchemaTooNewError(unknown);
      const applied = await runner({
        dbClient: client,
        dir: MIGRATIONS_DIR,
        migrationsTable: MIGRATIONS_TABLE,
        direction: 'up',
        checkOrder: true,
        singleTransaction: true,
        noLock: true,
        log: options.log ?? (() => undefined),
      });
      return { applied: applied.map((migration) => migration.name) };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [PG_MIGRATE_LOCK_ID]);
    }
  } finally {
    await client.end();
  }
}

/** The database's schema is older than this code's, or it has none: it must be migrated before it is read. */
export class SchemaNotCurrentError extends Error {
  override readonly name = 'SchemaNotCurrentError';
  constructor(readonly missingMigrations: string[]) {
    super(
      missingMigrations.length === knownMigrations().length
        ? 'The database has no santa-ladder schema.'
        : `The database schema is older than this code: it lacks migration(s) ${missingMigrations.join(', ')}. ` +
            'Start the stage on it once to migrate it.',
    );
  }
}

/**
 * Checks, changing nothing, that the database has exactly the migrations this code
 * ships; throws SchemaTooNewError or SchemaNotCurrentError otherwise.
 */
export async function assertSchemaCurrent(connectionString: string): Promise<void> {
  const known = knownMigrations();
  const client = new pg.Client({ connectionString, application_name: 'santa-ladder schema check' });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const applied = await appliedMigrations(client);
    const unknown = applied.filter((name) => !known.includes(name));
    if (unknown.length > 0) throw new SchemaTooNewError(unknown);
    const missing = known.filter((name) => !applied.includes(name));
    if (missing.length > 0) throw new SchemaNotCurrentError(missing);
  } finally {
    await client.end();
  }
}

/** The names of the migrations applied to the database, oldest first; none before the first migration. */
async function appliedMigrations(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [
    MIGRATIONS_TABLE,
  ]);
  if (!rows[0]?.exists) return [];
  const applied = await client.query<{ name: string }>(`SELECT name FROM ${MIGRATIONS_TABLE} ORDER BY run_on, id`);
  return applied.rows.map(({ name }) => name);
}

function sameNames(applied: string[], known: string[]): boolean {
  return applied.length === known.length && applied.every((name, index) => name === known[index]);
}
