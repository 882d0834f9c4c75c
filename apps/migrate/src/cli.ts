import { parseArgs } from 'node:util';
import { DEFAULT_BATCH_SIZE } from './copy';
import { parseLocation, UsageError, type Location } from './locations';
import type { Mode } from './migrate';

export const HELP = `usage: npm run migrate -- --from <stage>:<location> --to <stage>:<location> [options]
       npm run migrate -- --benchmark [--participants 100000,1000000]

Copies every table of one stage's store into another's: exchanges, participants
(with their token hashes, so every token keeps working), exclusions, assignments and
idempotency records, in batches, with progress on stderr. Then verifies the target
against the source, row by row in key order: counts and a SHA-256 checksum of the
canonical rows per table, and every draw a permutation of its exchange's
participants. The source is opened read-only and never written.

stages and locations:
  01-csv:<dir>          the stage's data directory (its CSV files)
  02-sqlite:<dir>       the stage's data directory, holding santa.sqlite
  03-postgres:<url>     a postgres:// URL: the stage's DATABASE_URL
The ladder is 01-csv -> 02-sqlite -> 03-postgres; the reverse direction is the
rollback, and any pair works. 04-redis-cache and 05-replicas keep their data in
03-postgres's database: migrate to or from 03-postgres. After writing into the
database of a running 04 or 05, restart its app processes (or delete the cache's
epoch key) so that no view cached before the migration is served.

options:
  --resume              write into a target that already holds rows: each table
                        carries on after the target's last key. Use it after an
                        interrupted run; running it again changes nothing.
  --verify-only         compare the two stores and check the draws; write nothing
  --dry-run             say what a copy would move; write and create nothing
  --batch-size <n>      rows per read and per write (default ${DEFAULT_BATCH_SIZE})
  --json                print the summary as JSON instead of a table
  --progress-every <s>  seconds between progress lines (default 2)
  -h, --help

benchmark (the round trip 01-csv -> 02-sqlite -> 03-postgres -> 02-sqlite -> 01-csv
on a generated dataset, verified at every hop, on a PostgreSQL server it starts):
  --benchmark
  --participants <n,...>  dataset sizes (default 100000)
  --seed <n>              dataset seed (default 1)
  --work-dir <dir>        where the stores go (default: a temporary directory, removed after)
  --results-dir <dir>     where migration.json and migration.md go (default docs/results)

exit status: 0 copied (or checked) and verified; 1 verification failed, and the
summary names the table and the first differing key; 2 refused or failed before
verifying (usage, a store that cannot be opened or read, a schema of another
version, a non-empty target without --resume).`;

export type Command =
  | { kind: 'help' }
  | {
      kind: 'migrate';
      from: Location;
      to: Location;
      mode: Mode;
      resume: boolean;
      batchSize: number;
      json: boolean;
      progressEveryMs: number;
    }
  | {
      kind: 'benchmark';
      participants: number[];
      seed: number;
      batchSize: number;
      workDir: string | null;
      resultsDir: string;
      progressEveryMs: number;
    };

function positiveInteger(name: string, text: string): number {
  const value = Number(text.replaceAll('_', ''));
  if (!Number.isSafeInteger(value) || value < 1) throw new UsageError(`${name} must be a whole number of at least 1, not "${text}".`);
  return value;
}

/** Reads the command line; throws UsageError, naming the problem, when it is wrong. */
export function parseCommand(argv: string[]): Command {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        resume: { type: 'boolean', default: false },
        'verify-only': { type: 'boolean', default: false },
        'dry-run': { type: 'boolean', default: false },
        'batch-size': { type: 'string' },
        json: { type: 'boolean', default: false },
        'progress-every': { type: 'string' },
        benchmark: { type: 'boolean', default: false },
        participants: { type: 'string' },
        seed: { type: 'string' },
        'work-dir': { type: 'string' },
        'results-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return { kind: 'help' };
  const batchSize = values['batch-size'] === undefined ? DEFAULT_BATCH_SIZE : positiveInteger('--batch-size', values['batch-size']);
  const progressSeconds = values['progress-every'] === undefined ? 2 : Number(values['progress-every']);
  if (!(progressSeconds >= 0)) throw new UsageError(`--progress-every must be a number of seconds, not "${values['progress-every']}".`);
  const progressEveryMs = progressSeconds * 1000;

  if (values.benchmark) {
    for (const option of ['from', 'to', 'resume', 'verify-only', 'dry-run', 'json'] as const) {
      if (values[option]) throw new UsageError(`--benchmark runs its own migrations; --${option} does not go with it.`);
    }
    return {
      kind: 'benchmark',
      participants: (values.participants ?? '100000').split(',').map((size) => positiveInteger('--participants', size.trim())),
      seed: values.seed === undefined ? 1 : positiveInteger('--seed', values.seed),
      batchSize,
      workDir: values['work-dir'] ?? null,
      resultsDir: values['results-dir'] ?? 'docs/results',
      progressEveryMs,
    };
  }
  for (const option of ['participants', 'seed', 'work-dir', 'results-dir'] as const) {
    if (values[option] !== undefined) throw new UsageError(`--${option} goes with --benchmark only.`);
  }
  if (values.from === undefined || values.to === undefined) throw new UsageError('--from and --to are both needed.');
  if (values['verify-only'] && values['dry-run']) throw new UsageError('--verify-only and --dry-run do not go together.');
  if (values['verify-only'] && values.resume) throw new UsageError('--verify-only writes nothing, so --resume means nothing with it.');
  return {
    kind: 'migrate',
    from: parseLocation(values.from),
    to: parseLocation(values.to),
    mode: values['verify-only'] ? 'verify-only' : values['dry-run'] ? 'dry-run' : 'copy',
    resume: values.resume,
    batchSize,
    json: values.json,
    progressEveryMs,
  };
}
