/**
 * `npm run dataset -- --stage <stage> --data <dir|url> --participants N [--seed S] [--drawn-rate R] --tokens <file>`
 *
 * Writes a generated dataset straight into a stage's store, opened in this process
 * the way the stage opens it (a data directory for 01-csv and 02-sqlite, a
 * postgres:// URL for the PostgreSQL stages), and writes the token file k6 reads.
 * The store must be empty. Prints the rows written per table and the time taken.
 */
import { parseArgs } from 'node:util';
import { loadDataset, writeTokensFile } from '@santa/dataset';
import { positiveInteger, UsageError } from './args';
import { MAX_TOKENS_IN_FILE } from './lab';
import { openStore, type StoreLocation } from './stores';
import { stageNames, targetSpec } from './targets';

const USAGE = `usage: npm run dataset -- --stage <stage> --data <dir|postgres://url> --participants N [--seed S] [--drawn-rate R] --tokens <file>
stages: ${stageNames().join(', ')}`;

export interface DatasetCommand {
  location: StoreLocation;
  participants: number;
  seed: number;
  drawnRate: number;
  tokensFile: string;
}

export function parseDatasetArgs(argv: readonly string[]): DatasetCommand {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      options: {
        stage: { type: 'string' },
        data: { type: 'string' },
        participants: { type: 'string' },
        seed: { type: 'string', default: '1' },
        'drawn-rate': { type: 'string', default: '1' },
        tokens: { type: 'string' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (!values.stage || !values.data || !values.participants || !values.tokens) throw new UsageError('--stage, --data, --participants and --tokens are required');
  if (!stageNames().includes(values.stage)) throw new UsageError(`unknown stage "${values.stage}"`);
  const store = targetSpec(values.stage).store;
  let location: StoreLocation;
  if (store === 'postgres') {
    if (!/^postgres(ql)?:\/\//.test(values.data)) throw new UsageError(`${values.stage} keeps its data in PostgreSQL: --data must be a postgres:// URL`);
    location = { kind: 'postgres', connectionString: values.data };
  } else if (store === 'csv' || store === 'sqlite') {
    location = { kind: store, dataDir: values.data };
  } else {
    throw new UsageError(`${values.stage} has no store this tool can load`);
  }
  const drawnRate = Number(values['drawn-rate']);
  if (!(drawnRate >= 0 && drawnRate <= 1)) throw new UsageError(`--drawn-rate must be from 0 to 1, got "${values['drawn-rate']}"`);
  return {
    location,
    participants: positiveInteger('participants', values.participants, 3, 10_000_000),
    seed: positiveInteger('seed', values.seed, 0, 2 ** 31 - 1),
    drawnRate,
    tokensFile: values.tokens,
  };
}

export async function runDataset(command: DatasetCommand, log: (line: string) => void): Promise<{ seconds: number }> {
  const store = await openStore(command.location);
  try {
    const existing = await store.countRows('participants');
    if (existing !== 0) throw new Error(`the store already holds ${existing} participants; load into an empty one`);
    let lastReport = performance.now();
    const result = await loadDataset(store, { seed: command.seed, participants: command.participants, drawnRate: command.drawnRate }, {
      onBatch(table, rowsSoFar) {
        if (performance.now() - lastReport < 2_000) return;
        lastReport = performance.now();
        log(`  ${table}: ${rowsSoFar.toLocaleString('en-US')} rows`);
      },
    });
    await writeTokensFile(command.tokensFile, result.tokens, MAX_TOKENS_IN_FILE);
    for (const [table, count] of Object.entries(result.rows)) log(`${table.padEnd(20)} ${count.toLocaleString('en-US').padStart(12)}`);
    log(`wrote ${command.participants.toLocaleString('en-US')} participants in ${result.seconds.toFixed(1)} s; tokens in ${command.tokensFile}`);
    return { seconds: result.seconds };
  } finally {
    await store.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  let command: DatasetCommand;
  try {
    command = parseDatasetArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  await runDataset(command, (line) => process.stdout.write(`${line}\n`));
}
