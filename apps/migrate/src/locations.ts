import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BulkStore, ExchangeStore } from '@santa/domain';
import { openCsvStore } from '@santa/store-csv';
import { SchemaNotCurrentError, openPostgresStore } from '@santa/store-postgres';
import { openSqliteStore } from '@santa/store-sqlite';

export type MigratableStore = ExchangeStore & BulkStore;

/** The stages that keep data of their own. 04-redis-cache and 05-replicas keep theirs in 03's database. */
export const STAGES = ['01-csv', '02-sqlite', '03-postgres'] as const;
export type StageName = (typeof STAGES)[number];

const SHARING_STAGES: Record<string, string> = {
  '04-redis-cache': 'a cache in front of 03-postgres',
  '05-replicas': 'app processes in front of 03-postgres',
};

/** Where a stage keeps its data: a directory for 01 and 02, a postgres:// URL for 03. */
export interface Location {
  stage: StageName;
  place: string;
}

/** The command line was wrong: nothing was opened. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Parses `<stage>:<location>`, e.g. `02-sqlite:data/02-sqlite` or `03-postgres:postgres://...`. */
export function parseLocation(text: string): Location {
  const colon = text.indexOf(':');
  const stage = colon < 0 ? text : text.slice(0, colon);
  const place = colon < 0 ? '' : text.slice(colon + 1);
  if (stage in SHARING_STAGES) {
    throw new UsageError(
      `${stage} is ${SHARING_STAGES[stage]}: its data is 03-postgres's data. Migrate to or from 03-postgres:<DATABASE_URL> instead.`,
    );
  }
  if (!(STAGES as readonly string[]).includes(stage)) {
    throw new UsageError(`"${text}" does not start with a stage with data of its own (${STAGES.join(', ')}), then a colon.`);
  }
  if (place === '') throw new UsageError(`"${text}" names no location after "${stage}:".`);
  if (stage === '03-postgres') {
    if (!/^postgres(ql)?:\/\//.test(place)) throw new UsageError(`03-postgres needs a postgres:// URL, not "${place}".`);
    return { stage, place };
  }
  return { stage: stage as StageName, place: resolve(place) };
}

/** The location for people to read: a database URL without its password. */
export function describeLocation(location: Location): string {
  if (location.stage !== '03-postgres') return `${location.stage}:${location.place}`;
  try {
    const url = new URL(location.place);
    if (url.password) url.password = '***';
    return `${location.stage}:${url.toString()}`;
  } catch {
    return `${location.stage}:(an unparsable URL)`;
  }
}

export function sameLocation(a: Location, b: Location): boolean {
  return a.stage === b.stage && a.place === b.place;
}

/** Statements of a bulk copy move thousands of rows: far more time than a request's. */
const STATEMENT_TIMEOUT_MS = 600_000;

/**
 * Opens a location the way its stage does. `read` opens what exists without changing
 * it, where the adapter allows (a CSV directory is still locked against its stage,
 * which also keeps the stage from writing while it is read); `write` creates and
 * migrates the store as the stage would.
 */
export async function openLocation(location: Location, mode: 'read' | 'write'): Promise<MigratableStore> {
  const readOnly = mode === 'read';
  switch (location.stage) {
    case '01-csv':
      return openCsvStore({ dataDir: location.place, readOnly });
    case '02-sqlite':
      return openSqliteStore({ path: join(location.place, 'santa.sqlite'), readOnly });
    case '03-postgres':
      return openPostgresStore({
        connectionString: location.place,
        readOnly,
        poolSize: 4,
        statementTimeoutMs: STATEMENT_TIMEOUT_MS,
        idleInTransactionTimeoutMs: STATEMENT_TIMEOUT_MS,
        applicationName: 'santa-ladder migrate',
      });
  }
}

/**
 * Opens a location read-only if it holds a store, or answers null when there is
 * nothing there yet (a missing directory or file, a database without the schema):
 * what a dry run may do without creating anything.
 */
export async function openIfPresent(location: Location): Promise<MigratableStore | null> {
  switch (location.stage) {
    case '01-csv':
      // A missing or empty directory is where the stage would create its files.
      return existsSync(location.place) && readdirSync(location.place).length > 0 ? openLocation(location, 'read') : null;
    case '02-sqlite':
      return existsSync(join(location.place, 'santa.sqlite')) ? openLocation(location, 'read') : null;
    case '03-postgres':
      try {
        return await openLocation(location, 'read');
      } catch (error) {
        if (error instanceof SchemaNotCurrentError && /no santa-ladder schema/.test(error.message)) return null;
        throw error;
      }
  }
}
