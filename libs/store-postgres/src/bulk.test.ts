import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type RunningPostgres } from '@santa/services';
import { runBulkContract } from '@santa/domain/testing';
import { TABLES } from '@santa/domain';
import { BULK_READS } from './bulk-sql';
import { migratePostgres } from './migrate';
import { openPostgresStore } from './postgres-store';

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

/** A new database on the test server, so that a test can hold two empty stores at once. */
async function newDatabase(): Promise<string> {
  databases += 1;
  const name = `bulk_${databases}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(server.url);
  url.pathname = `/${name}`;
  return url.toString();
}

runBulkContract('postgres', {
  open: async () => openPostgresStore({ connectionString: await newDatabase(), poolSize: 3 }),
  // The server and its databases go with the temporary data directory.
  cleanup: () => Promise.resolve(),
});

describe('the bulk reads', () => {
  let client: pg.Client;

  beforeAll(async () => {
    const url = await newDatabase();
    await migratePostgres(url);
    client = new pg.Client({ connectionString: url });
    await client.connect();
    // Planned as for a big table: an empty one would be scanned whatever the indexes.
    await client.query('SET enable_seqscan = off');
  });
  afterAll(() => client?.end());

  it.each(TABLES.flatMap((table) => (['first', 'after', 'last'] as const).map((query) => [table, query] as const)))(
    'read %s (%s page) along the primary key, with no sort',
    async (table, query) => {
      const statement = BULK_READS[table][query];
      const parameters = Array.from(statement.text.matchAll(/\$\d+(::(\w+))?/g), ([, , type]) =>
        type === 'uuid' ? '00000000-0000-7000-8000-000000000000' : type === 'text' ? '' : '10',
      );
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${statement.text}`, parameters);
      const plan = rows.map((row) => row['QUERY PLAN']).join('\n');

      expect(plan).toMatch(/Index (Only )?Scan/);
      expect(plan).not.toMatch(/Sort|Seq Scan/);
    },
  );
});
