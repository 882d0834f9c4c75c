import {
  MissingReferenceError,
  SortedTable,
  copyRow,
  rowKey,
  type BulkStore,
  type TableName,
  type TableRowTypes,
} from '@santa/domain';
import { FORMAT_VERSION } from './data-dir';
import type { TableFiles } from './table-files';
import type { TableName as FileName, TableRows } from './tables';

/** The file of each table. */
const FILE_OF = {
  exchanges: 'exchanges',
  participants: 'participants',
  exclusions: 'exclusions',
  assignments: 'assignments',
  idempotencyRecords: 'idempotency',
  outboxMessages: 'outbox',
  participantLinks: 'links',
} as const satisfies { [T in TableName]: FileName };

/** The table whose keys a row of this table must find, and the keys it looks for. */
function referencesOf<T extends TableName>(table: T, row: TableRowTypes[T]): { table: TableName; keys: string[] } | null {
  switch (table) {
    case 'participants':
      return { table: 'exchanges', keys: [(row as TableRowTypes['participants']).exchangeId] };
    case 'exclusions':
    case 'assignments': {
      const { exchangeId, giverId, receiverId } = row as TableRowTypes['exclusions'];
      return { table: 'participants', keys: [`${exchangeId}/${giverId}`, `${exchangeId}/${receiverId}`] };
    }
    case 'outboxMessages': {
      const { exchangeId, participantId } = row as TableRowTypes['outboxMessages'];
      return { table: 'participants', keys: [`${exchangeId}/${participantId}`] };
    }
    case 'participantLinks':
      return { table: 'outboxMessages', keys: [(row as TableRowTypes['participantLinks']).messageId] };
    default:
      return null;
  }
}

/** How a missing reference of a table's rows is named. */
const REFERENCE_NAMES: Partial<Record<TableName, string>> = {
  exchanges: 'exchange',
  participants: 'participant',
  outboxMessages: 'outbox message',
};

/** How many parsed, sorted tables the reader keeps: a reader that walks two tables side by side parses each once. */
const SORTED_TABLES_KEPT = 2;

/**
 * The bulk rows of a CSV data directory. This process is the directory's only
 * writer, so what it derives from the files (a table parsed and sorted by key, the
 * set of keys a table holds) stays true until the next write commits, which the
 * files' generation tells. Paging through a table therefore parses its file once, and
 * a bulk write appends its rows without parsing or rewriting the rows already there:
 * writing a whole table costs time in proportion to the table, not to its square.
 */
export function createBulkRows(files: TableFiles): BulkStore {
  let sorted: Array<{ generation: number; table: TableName; rows: SortedTable<TableName> }> = [];
  let keySets = { generation: -1, tables: new Map<TableName, Set<string>>() };

  async function sortedTable<T extends TableName>(table: T): Promise<SortedTable<T>> {
    const generation = files.generation;
    const kept = sorted.find((entry) => entry.table === table && entry.generation === generation);
    if (kept) return kept.rows as SortedTable<T>;
    // The files' rows have the bulk rows' shapes (tables.ts); only the names differ.
    const parsed = (await files.read(FILE_OF[table]))[FILE_OF[table]] as unknown as TableRowTypes[T][];
    const rows = SortedTable.of(table, parsed);
    if (files.generation === generation) {
      const others = sorted.filter((entry) => entry.table !== table && entry.generation === generation);
      sorted = [{ generation, table, rows }, ...others].slice(0, SORTED_TABLES_KEPT);
    }
    return rows;
  }

  /** The keys a table holds now. Called by writes only, which run one at a time. */
  async function keySet(table: TableName): Promise<Set<string>> {
    if (keySets.generation !== files.generation) keySets = { generation: files.generation, tables: new Map() };
    let keys = keySets.tables.get(table);
    if (!keys) {
      keys = new Set((await sortedTable(table)).keys);
      keySets.tables.set(table, keys);
    }
    return keys;
  }

  return {
    dataVersion: async () => `csv/${FORMAT_VERSION}`,

    countRows: async (table) => (await sortedTable(table)).size,

    async readRows(table, afterKey, limit) {
      // Copies: the sorted table serves later pages and must not be changed by a caller.
      return (await sortedTable(table)).page(afterKey, limit).map((row) => copyRow(table, row));
    },

    lastRowKey: async (table) => (await sortedTable(table)).lastKey,

    writeRows(table, rows) {
      return files.append(FILE_OF[table], async () => {
        const present = await keySet(table);
        const fresh: TableRowTypes[typeof table][] = [];
        const written = new Set<string>();
        for (const row of rows) {
          const key = rowKey(table, row);
          if (present.has(key) || written.has(key)) continue;
          const references = referencesOf(table, row);
          if (references) {
            const referenced = await keySet(references.table);
            const missing = references.keys.find((reference) => !referenced.has(reference));
            if (missing !== undefined) {
              const what = REFERENCE_NAMES[references.table];
              throw new MissingReferenceError(table, key, `${what} ${missing}`);
            }
          }
          written.add(key);
          fresh.push(row);
        }
        return {
          rows: fresh as unknown as TableRows[(typeof FILE_OF)[typeof table]][],
          committed() {
            // Only this table's file changed: every key set still holds, with these keys added.
            for (const key of written) present.add(key);
            keySets.generation = files.generation;
            return { written: fresh.length, skipped: rows.length - fresh.length };
          },
        };
      });
    },
  };
}
