import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, release, tmpdir, totalmem, type as osType } from 'node:os';
import { join, resolve } from 'node:path';
import { TABLES, type TableName } from '@santa/domain';
import { loadDataset } from '@santa/dataset';
import { startPostgres } from '@santa/services';
import { openCsvStore } from '@santa/store-csv';
import type { Location, StageName } from './locations';
import { migrate, VerificationError } from './migrate';
import { formatCount, formatSeconds, type ProgressSink } from './progress';
import { renderMarkdown, type BenchmarkResults, type BenchmarkRun, type Hop } from './results';

export interface BenchmarkOptions {
  participants: number[];
  seed: number;
  batchSize: number;
  /** Where the stores go; a new temporary directory (removed afterwards) when null. */
  workDir: string | null;
  resultsDir: string;
  /** The command line, as recorded in the results. */
  command: string;
  progress: ProgressSink;
  log: (line: string) => void;
}

/**
 * The round trip at each size: a generated dataset written into 01-csv, then
 * 01-csv → 02-sqlite → 03-postgres → 02-sqlite → 01-csv, every hop verified, and the
 * last 01-csv compared with the first. Writes the figures to
 * `<resultsDir>/migration.json` and the Markdown table rendered from it.
 */
export async function runBenchmark(options: BenchmarkOptions): Promise<BenchmarkResults> {
  const workDir = options.workDir ? resolve(options.workDir) : await mkdtemp(join(tmpdir(), 'santa-migrate-bench-'));
  const runs: BenchmarkRun[] = [];
  let postgresVersion = '';
  try {
    for (const participants of options.participants) {
      const postgres = await startPostgres();
      postgresVersion = postgres.version;
      try {
        runs.push(await runOnce(participants, join(workDir, `participants-${participants}`), postgres.url, options));
      } finally {
        await postgres.stop();
      }
    }
  } finally {
    if (!options.workDir) await rm(workDir, { recursive: true, force: true });
  }

  const results: BenchmarkResults = {
    generatedAt: new Date().toISOString(),
    command: options.command,
    git: gitState(),
    machine: {
      cores: cpus().length,
      cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
      memoryBytes: totalmem(),
      os: `${osType()} ${release()}`,
      node: process.version,
      postgres: postgresVersion,
    },
    settings: { batchSize: options.batchSize, seed: options.seed },
    runs,
  };
  mkdirSync(options.resultsDir, { recursive: true });
  await writeFile(join(options.resultsDir, 'migration.json'), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(join(options.resultsDir, 'migration.md'), renderMarkdown(results));
  return results;
}

async function runOnce(participants: number, dir: string, databaseUrl: string, options: BenchmarkOptions): Promise<BenchmarkRun> {
  const at = (stage: StageName, place: string): Location => ({ stage, place });
  const firstCsv = at('01-csv', join(dir, 'csv-first'));
  const firstSqlite = at('02-sqlite', join(dir, 'sqlite-first'));
  const postgres = at('03-postgres', databaseUrl);
  const lastSqlite = at('02-sqlite', join(dir, 'sqlite-last'));
  const lastCsv = at('01-csv', join(dir, 'csv-last'));

  options.log(`generating ${formatCount(participants)} participants into ${firstCsv.place}`);
  const store = await openCsvStore({ dataDir: firstCsv.place });
  const loaded = await loadDataset(store, { seed: options.seed, participants }, { batchSize: options.batchSize }).finally(
    () => store.close(),
  );
  const rows = loaded.rows;
  const total = TABLES.reduce((sum, table) => sum + rows[table], 0);
  options.log(`generated ${formatCount(total)} rows in ${formatSeconds(loaded.seconds)} s`);

  const hops: Hop[] = [];
  for (const [from, to] of [
    [firstCsv, firstSqlite],
    [firstSqlite, postgres],
    [postgres, lastSqlite],
    [lastSqlite, lastCsv],
  ] as const) {
    options.log(`hop ${from.stage} -> ${to.stage}`);
    const report = await migrate({ from, to, batchSize: options.batchSize, progress: options.progress });
    if (!report.copy || !report.comparison || !report.audit) throw new Error('a copy reports its copy and its checks');
    const { copy, comparison, audit } = report;
    const copied = TABLES.reduce((sum, table) => sum + copy.tables[table].rows, 0);
    hops.push({
      from: from.stage,
      to: to.stage,
      copy: { seconds: copy.seconds, rows: copied, rowsPerSecond: copied / copy.seconds },
      tables: Object.fromEntries(
        TABLES.map((table) => {
          const { rows: tableRows, seconds } = copy.tables[table];
          return [table, { rows: tableRows, seconds, rowsPerSecond: seconds > 0 ? tableRows / seconds : 0 }];
        }),
      ) as Hop['tables'],
      verifySeconds: comparison.seconds,
      auditSeconds: audit.seconds,
      totalSeconds: report.seconds,
    });
  }

  options.log('comparing the last 01-csv store with the first');
  const roundTrip = await migrate({ from: firstCsv, to: lastCsv, mode: 'verify-only', progress: options.progress }).then(
    (report) => ({ report, equal: true }),
    (error: unknown) => {
      if (error instanceof VerificationError) return { report: error.report, equal: false };
      throw error;
    },
  );
  const comparison = roundTrip.report.comparison;
  if (!comparison) throw new Error('a verification reports its comparison');
  return {
    participants,
    rows,
    generate: { seconds: loaded.seconds, rowsPerSecond: total / loaded.seconds },
    bytes: { csv: directoryBytes(firstCsv.place), sqlite: directoryBytes(firstSqlite.place) },
    hops,
    roundTrip: {
      equal: roundTrip.equal,
      seconds: comparison.seconds,
      checksums: Object.fromEntries(TABLES.map((table) => [table, comparison.tables[table].checksum.source])) as Record<
        TableName,
        string
      >,
    },
  };
}

function directoryBytes(dir: string): number {
  return readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
}

function gitState(): { commit: string; dirty: boolean } {
  const run = (args: string[]) => {
    try {
      return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return null;
    }
  };
  const status = run(['status', '--porcelain', '--untracked-files=no']);
  return { commit: run(['rev-parse', 'HEAD']) ?? 'unknown', dirty: status === null || status.length > 0 };
}
