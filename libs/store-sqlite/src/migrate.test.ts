import { mkdirSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { newExchangeRecord } from '@santa/domain/testing';
import { loadMigrations, migrate, SchemaTooNewError, type Migration } from './migrate';
import { openSqliteStore } from './sqlite-store';
import { TempDatabases } from './testing/temp-databases';

const databases = new TempDatabases();
afterAll(() => databases.cleanup());

const shipped = loadMigrations();

function userVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function tables(db: Database.Database): string[] {
  return (db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map(
    ({ name }) => name,
  );
}

describe('schema migrations', () => {
  it('ship numbered from 1 without gaps', () => {
    expect(shipped.map(({ version }) => version)).toEqual(shipped.map((_, index) => index + 1));
    expect(shipped[0]).toMatchObject({ version: 1, name: 'initial schema' });
  });

  it('bring an empty file to the newest version, and opening it again changes nothing', async () => {
    const path = databases.newPath();
    const store = openSqliteStore({ path });
    await store.close();

    const db = new Database(path);
    expect(userVersion(db)).toBe(shipped.length);
    expect(tables(db)).toEqual([
      'assignments',
      'exchanges',
      'exclusions',
      'idempotency_records',
      'outbox_messages',
      'participant_links',
      'participants',
    ]);
    expect(migrate(db, shipped)).toEqual({ from: shipped.length, to: shipped.length });
    db.close();
  });

  it('apply only the migrations a database has not had, in order', () => {
    const db = new Database(databases.newPath());
    const next: Migration = {
      version: shipped.length + 1,
      name: 'wishlist links',
      sql: 'ALTER TABLE participants ADD COLUMN wishlist_url TEXT',
    };

    expect(migrate(db, shipped)).toEqual({ from: 0, to: shipped.length });
    expect(migrate(db, [...shipped, next])).toEqual({ from: shipped.length, to: next.version });

    expect(userVersion(db)).toBe(next.version);
    expect(db.prepare('SELECT wishlist_url FROM participants').all()).toEqual([]);
    db.close();
  });

  it('roll back every step of a run when one of them fails', () => {
    const db = new Database(databases.newPath());
    const broken: Migration = { version: shipped.length + 1, name: 'broken', sql: 'CREATE TABLE extra (id TEXT); SELECT nonsense FROM nowhere' };

    expect(() => migrate(db, [...shipped, broken])).toThrow(/no such table: nowhere/);

    expect(userVersion(db)).toBe(0);
    expect(tables(db)).toEqual([]);
    db.close();
  });

  it('refuse a database written by a newer build, and leave it untouched', async () => {
    const path = databases.newPath();
    const seeded = openSqliteStore({ path });
    const exchange = await seeded.createExchange(newExchangeRecord());
    await seeded.close();
    const newer = new Database(path);
    newer.pragma(`user_version = ${shipped.length + 1}`);
    newer.close();

    expect(() => openSqliteStore({ path })).toThrow(SchemaTooNewError);
    expect(() => openSqliteStore({ path })).toThrow(
      `The database is at schema version ${shipped.length + 1}, but this build knows versions up to ${shipped.length}.`,
    );

    const db = new Database(path, { readonly: true });
    expect(userVersion(db)).toBe(shipped.length + 1);
    expect(db.prepare('SELECT id FROM exchanges').all()).toEqual([{ id: exchange.id }]);
    db.close();
  });

  it('refuse migration files that are misnamed or leave a gap', () => {
    const directory = databases.newPath().replace(/\.sqlite$/, '-migrations/');
    mkdirSync(directory);
    writeFileSync(`${directory}0001-first.sql`, 'SELECT 1');
    writeFileSync(`${directory}0003-third.sql`, 'SELECT 1');
    expect(() => loadMigrations(pathToFileURL(directory))).toThrow(/without gaps/);

    writeFileSync(`${directory}2-second.sql`, 'SELECT 1');
    expect(() => loadMigrations(pathToFileURL(directory))).toThrow(/2-second\.sql is not named/);
  });
});
