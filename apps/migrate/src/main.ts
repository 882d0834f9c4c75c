/**
 * `npm run migrate -- --from <stage>:<location> --to <stage>:<location> [options]`
 * `npm run migrate -- --benchmark [--participants 100000,1000000]`
 *
 * Moves every row of one stage's store into another's and proves that nothing was
 * lost; `--help` says everything (src/cli.ts).
 */
import { runBenchmark } from './benchmark';
import { HELP, parseCommand } from './cli';
import { UsageError, describeLocation } from './locations';
import { messageOf, migrate, VerificationError } from './migrate';
import { LineProgress } from './progress';
import { formatReport } from './report';

const stderr = (line: string) => process.stderr.write(`${line}\n`);

async function main(argv: string[]): Promise<number> {
  const command = parseCommand(argv);
  if (command.kind === 'help') {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const progress = new LineProgress(stderr, command.progressEveryMs);
  if (command.kind === 'benchmark') {
    const results = await runBenchmark({
      ...command,
      command: ['npm run migrate --', ...argv].join(' '),
      progress,
      log: stderr,
    });
    const broken = results.runs.filter((run) => !run.roundTrip.equal);
    stderr(`wrote ${command.resultsDir}/migration.json and migration.md`);
    return broken.length === 0 ? 0 : 1;
  }

  const { from, to, mode, resume, batchSize } = command;
  const doing = mode === 'copy' ? (resume ? 'resume copying' : 'copy') : mode;
  stderr(`migrate: ${doing} ${describeLocation(from)} -> ${describeLocation(to)}`);
  try {
    const report = await migrate({ from, to, mode, resume, batchSize, progress });
    process.stdout.write(`${command.json ? JSON.stringify(report, null, 2) : formatReport(report)}\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof VerificationError)) throw error;
    process.stdout.write(`${command.json ? JSON.stringify(error.report, null, 2) : formatReport(error.report)}\n`);
    stderr(`migrate: ${error.message}`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (status) => process.exit(status),
  (error: unknown) => {
    stderr(`migrate: ${messageOf(error)}`);
    if (error instanceof UsageError) stderr('Run with --help for the usage.');
    process.exit(2);
  },
);
