import { TABLES, type TableName } from '@santa/domain';
import { formatCount, formatSeconds } from './progress';

/** What `--benchmark` measured; `docs/results/migration.json`. */
export interface BenchmarkResults {
  generatedAt: string;
  /** The exact command that produced the file. */
  command: string;
  git: { commit: string; dirty: boolean };
  machine: {
    cores: number;
    cpuModel: string;
    memoryBytes: number;
    os: string;
    node: string;
    postgres: string;
  };
  settings: { batchSize: number; seed: number };
  runs: BenchmarkRun[];
}

export interface BenchmarkRun {
  participants: number;
  rows: Record<TableName, number>;
  /** Generating the dataset and writing it into the first 01-csv store. */
  generate: { seconds: number; rowsPerSecond: number };
  /** Bytes on disk of the file-based stores after the first hops. */
  bytes: { csv: number; sqlite: number };
  hops: Hop[];
  /** The last 01-csv store compared with the first, table by table. */
  roundTrip: { equal: boolean; seconds: number; checksums: Record<TableName, string> };
}

export interface Hop {
  from: string;
  to: string;
  /** Copying every table, rows read and written. */
  copy: { seconds: number; rows: number; rowsPerSecond: number };
  tables: Record<TableName, { rows: number; seconds: number; rowsPerSecond: number }>;
  /** Reading both stores side by side and comparing every row. */
  verifySeconds: number;
  /** Checking every draw in the target. */
  auditSeconds: number;
  /** Everything the hop took, opening the stores included. */
  totalSeconds: number;
}

const TABLE_TITLES: Record<TableName, string> = {
  exchanges: 'exchanges',
  participants: 'participants',
  exclusions: 'exclusions',
  assignments: 'assignments',
  idempotencyRecords: 'idempotency records',
  outboxMessages: 'outbox messages',
  participantLinks: 'participant links',
};

function perSecond(value: number): string {
  return value > 0 ? formatCount(value) : '-';
}

function megabytes(bytes: number): string {
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

/** `docs/results/migration.md`: every figure comes from the JSON it is rendered from. */
export function renderMarkdown(results: BenchmarkResults): string {
  const { machine, settings } = results;
  const lines = [
    '# Migration throughput',
    '',
    `Generated from \`migration.json\` by \`${results.command}\` on ${results.generatedAt.slice(0, 10)}` +
      ` (commit ${results.git.commit.slice(0, 12)}${results.git.dirty ? ', with uncommitted changes' : ''}).` +
      ' Do not edit: run the command again.',
    '',
    `Machine: ${machine.cores} cores (${machine.cpuModel}), ${(machine.memoryBytes / 2 ** 30).toFixed(1)} GiB memory, ` +
      `${machine.os}; Node ${machine.node}; ${machine.postgres}. Batches of ${formatCount(settings.batchSize)} rows; ` +
      `dataset seed ${settings.seed}.`,
    '',
    'Each hop copies every table in key order through `BulkStore` and then verifies the target against the',
    'source row by row (counts and SHA-256 checksums per table) and checks every draw. The round trip ends',
    'where it began: the last 01-csv store is compared with the first, table by table. Rates are rows per',
    'second of the copy alone; verifying is timed apart.',
  ];
  for (const run of results.runs) {
    // The tables the run had: a result measured before a table existed has no figures for it.
    const tables = TABLES.filter((table) => (run.rows as Partial<Record<TableName, number>>)[table] !== undefined);
    const total = tables.reduce((sum, table) => sum + run.rows[table], 0);
    lines.push(
      '',
      `## ${formatCount(run.participants)} participants`,
      '',
      `Rows: ${tables.map((table) => `${formatCount(run.rows[table])} ${TABLE_TITLES[table]}`).join(', ')} ` +
        `(${formatCount(total)} in all). Generated into 01-csv in ${formatSeconds(run.generate.seconds)} s ` +
        `(${perSecond(run.generate.rowsPerSecond)} rows/s). On disk: 01-csv ${megabytes(run.bytes.csv)}, ` +
        `02-sqlite ${megabytes(run.bytes.sqlite)}.`,
      '',
      `| hop | copy (s) | rows/s | ${tables.map((table) => `${TABLE_TITLES[table]} rows/s`).join(' | ')} | verify (s) | draws checked (s) |`,
      `|---|---:|---:|${tables.map(() => '---:').join('|')}|---:|---:|`,
      ...run.hops.map(
        (hop) =>
          `| ${hop.from} → ${hop.to} | ${formatSeconds(hop.copy.seconds)} | ${perSecond(hop.copy.rowsPerSecond)} | ` +
          `${tables.map((table) => perSecond(hop.tables[table].rowsPerSecond)).join(' | ')} | ` +
          `${formatSeconds(hop.verifySeconds)} | ${formatSeconds(hop.auditSeconds)} |`,
      ),
      '',
      run.roundTrip.equal
        ? `Round trip: the final 01-csv store holds exactly the rows of the first (compared in ${formatSeconds(run.roundTrip.seconds)} s).`
        : 'Round trip: the final 01-csv store DIFFERS from the first.',
    );
  }
  return `${lines.join('\n')}\n`;
}
