import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BulkStore, ExchangeStore } from '@santa/domain';
import { openCsvStore } from '@santa/store-csv';
import { openPostgresStore } from '@santa/store-postgres';
import { openSqliteStore } from '@santa/store-sqlite';
import type { StoreKind } from './targets';

export type OpenedStore = ExchangeStore & BulkStore;

/** Where a stage's data lives: a directory for CSV and SQLite, a URL for PostgreSQL. */
export type StoreLocation = { kind: 'csv' | 'sqlite'; dataDir: string } | { kind: 'postgres'; connectionString: string };

/** The store with its bulk rows port, or an error naming the missing method. */
export function requireBulk(store: ExchangeStore, kind: StoreKind | 'memory'): OpenedStore {
  const candidate = store as ExchangeStore & Partial<BulkStore>;
  for (const method of ['writeRows', 'readRows', 'countRows', 'dataVersion'] as const) {
    if (typeof candidate[method] !== 'function') throw new Error(`the ${kind} store does not implement BulkStore.${method}`);
  }
  return candidate as OpenedStore;
}

/** Opens a stage's store in this process, the way the stage itself opens it. */
export async function openStore(location: StoreLocation): Promise<OpenedStore> {
  switch (location.kind) {
    case 'csv':
      mkdirSync(location.dataDir, { recursive: true });
      return requireBulk(await openCsvStore({ dataDir: location.dataDir }), 'csv');
    case 'sqlite':
      return requireBulk(openSqliteStore({ path: join(location.dataDir, 'santa.sqlite') }), 'sqlite');
    case 'postgres':
      return requireBulk(await openPostgresStore({ connectionString: location.connectionString }), 'postgres');
  }
}
