import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '@santa/domain';
import { freePort, startPostgres, type RunningPostgres } from '@santa/services';
import { openPostgresStore } from '@santa/store-postgres';
import { openSqliteStore } from '@santa/store-sqlite';
import { createDatabase, csvDataset, psql, runCli } from './test-support';

let server: RunningPostgres;
let root: string;
let source: string;
let runs = 0;

beforeAll(async () => {
  [server, root] = await Promise.all([startPostgres(), mkdtemp(join(tmpdir(), 'santa-migrate-errors-'))]);
  source = join(root, 'source');
  await csvDataset(source, { seed: 9, participants: 400 });
});
afterAll(async () => {
  await server?.stop();
  await rm(root, { recursive: true, force: true });
});

/** A copy of the source directory, to damage. */
async function sourceCopy(): Promise<string> {
  runs += 1;
  const copy = join(root, `source-${runs}`);
  await cp(source, copy, { recursive: true });
  return copy;
}

function newTarget(): string {
  runs += 1;
  return join(root, `target-${runs}`);
}

describe('the migration tool, given bad input', () => {
  const damages = [
    {
      damage: 'a participants file damaged by hand',
      change: (csv: string) => `${csv}"an unterminated quote,x@example.test\n`,
      says: /source 01-csv:.*: participants\.csv: not valid CSV/,
    },
    {
      damage: 'a participants file cut off in the middle of a row',
      change: (csv: string) => csv.slice(0, csv.indexOf('\n', csv.length / 2) + 20),
      says: /source 01-csv:.*: participants\.csv: not valid CSV/,
    },
    {
      damage: 'a participants file cut off after a whole row',
      change: (csv: string) => csv.slice(0, csv.indexOf('\n', csv.length / 2) + 1),
      says: /the source holds (exclusions|assignments) row [0-9a-f/-]+, which refers to participant [0-9a-f/-]+, and the source has no such row/,
    },
  ];

  it.each(damages)('stops at $damage with a clear error; after a repair, --resume finishes the job', async ({ change, says }) => {
    const damaged = await sourceCopy();
    const file = join(damaged, 'participants.csv');
    const intact = await readFile(file, 'utf8');
    await writeFile(file, change(intact));
    const target = newTarget();

    const failed = await runCli(['--from', `01-csv:${damaged}`, '--to', `02-sqlite:${target}`]);

    expect(failed.status).toBe(2);
    expect(failed.stderr).toMatch(says);
    await writeFile(file, intact);
    const repaired = await runCli(['--from', `01-csv:${damaged}`, '--to', `02-sqlite:${target}`, '--resume']);
    expect(repaired.stderr).toContain('migrate: resume copying');
    expect(repaired.status).toBe(0);
    expect(repaired.stdout).toContain('both stores hold the same rows in every table');
  });

  it('refuses a source that is not there, and creates nothing', async () => {
    const missing = join(root, 'no-such-directory');
    const target = newTarget();

    const failed = await runCli(['--from', `01-csv:${missing}`, '--to', `02-sqlite:${target}`]);

    expect(failed.status).toBe(2);
    expect(failed.stderr).toContain(`migrate: source 01-csv:${missing}: ${missing} does not exist.`);
    expect(existsSync(missing)).toBe(false);
    expect(existsSync(target)).toBe(false);
  });

  it('refuses a CSV target written by a newer version, and leaves it as it was', async () => {
    const target = newTarget();
    await mkdir(target);
    const meta = JSON.stringify({ format: 'santa-ladder/csv', version: 3 });
    await writeFile(join(target, 'meta.json'), meta);

    const failed = await runCli(['--from', `01-csv:${source}`, '--to', `01-csv:${target}`]);

    expect(failed.status).toBe(2);
    expect(failed.stderr).toContain('holds CSV data of format version 3; this build reads version 2 only');
    expect(await readFile(join(target, 'meta.json'), 'utf8')).toBe(meta);
  });

  it('refuses a PostgreSQL target migrated by a newer version, and writes nothing into it', async () => {
    const url = createDatabase(server, 'newer');
    await (await openPostgresStore({ connectionString: url })).close();
    psql(url, "INSERT INTO pgmigrations (name, run_on) VALUES ('9999999999999_from-a-newer-version', now())");

    const failed = await runCli(['--from', `01-csv:${source}`, '--to', `03-postgres:${url}`]);

    expect(failed.status).toBe(2);
    expect(failed.stderr).toMatch(/target 03-postgres:.*: The database schema is newer than this code/);
    expect(psql(url, 'SELECT count(*) FROM exchanges').trim()).toBe('0');
  });

  it('names an unreachable database, as source or target', async () => {
    const url = `postgres://santa@127.0.0.1:${await freePort()}/santa`;

    const asTarget = await runCli(['--from', `01-csv:${source}`, '--to', `03-postgres:${url}`]);
    const asSource = await runCli(['--from', `03-postgres:${url}`, '--to', `01-csv:${newTarget()}`]);

    for (const [run, side] of [
      [asTarget, 'target'],
      [asSource, 'source'],
    ] as const) {
      expect(run.status).toBe(2);
      expect(run.stderr).toContain(`migrate: ${side} 03-postgres:${url}: The database is unavailable; retry shortly: `);
      expect(run.stderr).toContain('ECONNREFUSED');
    }
  });

  it('fails a verification loudly, naming the table and the first differing key, with status 1', async () => {
    const target = newTarget();
    expect((await runCli(['--from', `01-csv:${source}`, '--to', `02-sqlite:${target}`])).status).toBe(0);
    const changed = openSqliteStore({ path: join(target, 'santa.sqlite') });
    const [exchange] = await changed.readRows('exchanges', null, 1);
    const stranger = { ...exchange, id: '00000000-0000-7000-8000-000000000001', organizerTokenHash: hashSecret('another') };
    await changed.writeRows('exchanges', [stranger]);
    await changed.close();

    const failed = await runCli(['--from', `01-csv:${source}`, '--to', `02-sqlite:${target}`, '--verify-only']);

    expect(failed.status).toBe(1);
    expect(failed.stdout).toContain('MISMATCH in exchanges at key 00000000-0000-7000-8000-000000000001: only in target');
    expect(failed.stderr).toContain(
      'migrate: verification failed: exchanges differ first at key 00000000-0000-7000-8000-000000000001: only in target',
    );
  });
});
