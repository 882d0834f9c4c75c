import pg from 'pg';
import { PG_MIGRATE_LOCK_ID, runner } from 'node-pg-migrate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type RunningPostgres } from '@santa/services';
import { newExchangeRecord } from '@santa/domain/testing';
import {
  MIGRATIONS_DIR,
  MIGRATIONS_TABLE,
  SchemaNotCurrentError,
  SchemaTooNewError,
  knownMigrations,
  migratePostgres,
} from './migrate';
import { openPostgresStore } from './postgres-store';

const TABLES = ['assignments', 'exchanges', 'exclusions', 'idempotency_records', 'outbox_messages', 'participant_links', 'participants'];

let server: RunningPostgres;
let admin: pg.Client;
let databases = 0;

beforeAll(async () => {
  server = await startPostgres();
  admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
});

afterAll(async () => {
  await admin?.end();
  await server?.stop();
});

/** A new, empty database on the test server; returns its URL. */
async function emptyDatabase(): Promise<string> {
  databases += 1;
  const name = `migrations_${databases}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(server.url);
  url.pathname = `/${name}`;
  return url.toString();
}

async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

async function tablesOf(url: string): Promise<string[]> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ tablename: string }>(
      `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> $1 ORDER BY tablename`,
      [MIGRATIONS_TABLE],
    );
    return rows.map((row) => row.tablename);
  });
}

async function appliedMigrations(url: string): Promise<string[]> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ name: string }>(`SELECT name FROM ${MIGRATIONS_TABLE} ORDER BY id`);
    return rows.map((row) => row.name);
  });
}

describe('migratePostgres', () => {
  it('builds the schema in an empty database, then finds nothing to do', async () => {
    const url = await emptyDatabase();

    expect(await migratePostgres(url)).toEqual({ applied: knownMigrations() });
    expect(await migratePostgres(url)).toEqual({ applied: [] });

    expect(await tablesOf(url)).toEqual(TABLES);
    expect(await appliedMigrations(url)).toEqual(knownMigrations());
  });

  it('refuses a database that a newer version migrated, and changes nothing', async () => {
    const url = await emptyDatabase();
    await migratePostgres(url);
    const future = '9999999999999_from-a-newer-version';
    await withClient(url, (client) =>
      client.query(`INSERT INTO ${MIGRATIONS_TABLE} (name, run_on) VALUES ($1, now())`, [future]),
    );

    const refusal = await migratePostgres(url).catch((error: unknown) => error);

    expect(refusal).toBeInstanceOf(SchemaTooNewError);
    expect((refusal as SchemaTooNewError).unknownMigrations).toEqual([future]);
    expect((refusal as Error).message).toContain('newer than this code');
    await expect(openPostgresStore({ connectionString: url })).rejects.toBeInstanceOf(SchemaTooNewError);
    expect(await appliedMigrations(url)).toEqual([...knownMigrations(), future]);
  });

  it('migrates once when several processes open the store at the same time', async () => {
    const url = await emptyDatabase();

    const results = await Promise.all(Array.from({ length: 4 }, () => migratePostgres(url)));

    expect(results.filter((result) => result.applied.length > 0)).toEqual([{ applied: knownMigrations() }]);
    expect(await appliedMigrations(url)).toEqual(knownMigrations());
    const stores = await Promise.all(Array.from({ length: 3 }, () => openPostgresStore({ connectionString: url })));
    await Promise.all(stores.map((store) => store.ping()));
    await Promise.all(stores.map((store) => store.close()));
  });

  it('waits for a migration that holds the lock instead of failing or racing it', async () => {
    const url = await emptyDatabase();
    await withClient(url, async (holder) => {
      await holder.query('SELECT pg_advisory_lock($1)', [PG_MIGRATE_LOCK_ID]);

      const migrating = migratePostgres(url);
      await waitForLockWaiter(holder);
      expect(await tablesOf(url)).toEqual([]);

      await holder.query('SELECT pg_advisory_unlock($1)', [PG_MIGRATE_LOCK_ID]);
      expect(await migrating).toEqual({ applied: knownMigrations() });
    });
    expect(await tablesOf(url)).toEqual(TABLES);
  });

  it('has a down migration that removes everything the up migration created', async () => {
    const url = await emptyDatabase();
    await migratePostgres(url);

    await runner({
      databaseUrl: url,
      dir: MIGRATIONS_DIR,
      migrationsTable: MIGRATIONS_TABLE,
      direction: 'down',
      count: Infinity,
      log: () => undefined,
    });

    expect(await tablesOf(url)).toEqual([]);
    expect(await migratePostgres(url)).toEqual({ applied: knownMigrations() });
  });
});

describe('a store opened read-only', () => {
  it('migrates nothing: a database without the schema, or with an older one, is refused as it is', async () => {
    const url = await emptyDatabase();

    await expect(openPostgresStore({ connectionString: url, readOnly: true })).rejects.toBeInstanceOf(SchemaNotCurrentError);
    await expect(openPostgresStore({ connectionString: url, readOnly: true })).rejects.toThrow('has no santa-ladder schema');
    expect(await tablesOf(url)).toEqual([]);
  });

  it('refuses a database that a newer version migrated', async () => {
    const url = await emptyDatabase();
    await migratePostgres(url);
    await withClient(url, (client) =>
      client.query(`INSERT INTO ${MIGRATIONS_TABLE} (name, run_on) VALUES ($1, now())`, ['9999999999999_newer']),
    );

    await expect(openPostgresStore({ connectionString: url, readOnly: true })).rejects.toBeInstanceOf(SchemaTooNewError);
  });

  it('reads, and every write fails in a read-only transaction', async () => {
    const url = await emptyDatabase();
    const writer = await openPostgresStore({ connectionString: url });
    const exchange = await writer.createExchange(newExchangeRecord());
    await writer.close();

    const reader = await openPostgresStore({ connectionString: url, readOnly: true });
    try {
      expect(await reader.dataVersion()).toBe(`postgres/${knownMigrations().length}`);
      expect(await reader.getExchange(exchange.id)).toMatchObject({ id: exchange.id });
      await expect(reader.createExchange(newExchangeRecord())).rejects.toMatchObject({ code: '25006' });
      await expect(reader.writeRows('exchanges', [newExchangeRecord()])).rejects.toMatchObject({ code: '25006' });
    } finally {
      await reader.close();
    }
    expect(await withClient(url, async (client) => (await client.query('SELECT id FROM exchanges')).rows)).toEqual([
      { id: exchange.id },
    ]);
  });
});

/** Returns once another session waits for an advisory lock in the holder's database. */
async function waitForLockWaiter(holder: pg.Client): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const { rows } = await holder.query<{ waiting: number }>(
      `SELECT count(*)::int AS waiting FROM pg_locks
        WHERE locktype = 'advisory' AND NOT granted
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    if (rows[0].waiting > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('No session started waiting for the migration lock.');
}
