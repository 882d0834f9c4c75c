/**
 * The commands the guides tell a reader to type, in order. The guides' `runbook`
 * blocks are rendered from here, and runbooks.test.ts runs every one of them for real,
 * in this order, on a small generated dataset and a real PostgreSQL server, so a
 * command shown in the docs is a command that works.
 *
 * The test runs each command as written, through bash, from the repository's root,
 * with two substitutions only: `data/` becomes a scratch directory, and `--port 3000`
 * a free port. `$DATABASE_URL` is the URL of the PostgreSQL server the test starts,
 * as it is the reader's server in the guides.
 */

export interface RunbookStep {
  /** A comment line above the command in the rendered block. */
  say: string;
  command: string;
  /**
   * A server that runs until stopped: the test waits for its `ready <url>` line,
   * checks that `<url>/readyz` answers 200, that `<url>/` serves the web UI and
   * `<url>/metrics` the metrics, then stops it with SIGTERM.
   */
  serves?: true;
}

export interface Runbook {
  name: string;
  /** Runs with DATABASE_URL naming a real PostgreSQL server. */
  needsDatabase: boolean;
  steps: RunbookStep[];
}

export const RUNBOOKS: readonly Runbook[] = [
  {
    name: 'usage',
    needsDatabase: false,
    steps: [
      { say: 'every option of the data migration tool', command: 'npm run migrate -- --help' },
      { say: 'every option of the comparison runner', command: 'npm run compare -- --help' },
      { say: 'every option of the ladder: all comparisons, capacity runs and the growth series', command: 'npm run ladder -- --help' },
      { say: 'every option of the CPU profiler', command: 'npm run profile -- --help' },
    ],
  },
  {
    name: 'run-a-stage',
    needsDatabase: false,
    steps: [
      { say: 'serve stage 02 on port 3000, its data in data/02-sqlite-demo; Ctrl-C drains and stops it', command: 'npm run stage -- 02-sqlite --port 3000 --data data/02-sqlite-demo', serves: true },
    ],
  },
  {
    name: 'serve-with-email',
    needsDatabase: false,
    steps: [
      {
        say: 'serve stage 02 with e-mail on: the outbox worker sends through this SMTP server (MAIL_FROM and PUBLIC_URL have defaults)',
        command: 'SMTP_URL=smtp://127.0.0.1:2525 npm run stage -- 02-sqlite --port 3000 --data data/02-sqlite-mail',
        serves: true,
      },
    ],
  },
  {
    name: '01-csv-to-02-sqlite',
    needsDatabase: false,
    steps: [
      {
        say: 'to rehearse on generated data first (with real data, data/01-csv already holds it): 1,000 participants',
        command: 'npm run dataset -- --stage 01-csv --data data/01-csv --participants 1000 --tokens data/tokens.txt',
      },
      { say: 'with stage 01 stopped: what would move, writing nothing', command: 'npm run migrate -- --from 01-csv:data/01-csv --to 02-sqlite:data/02-sqlite --dry-run' },
      { say: 'copy every table in batches, then verify row by row (exit status 0 means verified)', command: 'npm run migrate -- --from 01-csv:data/01-csv --to 02-sqlite:data/02-sqlite' },
      { say: 'verify again at any time, writing nothing', command: 'npm run migrate -- --from 01-csv:data/01-csv --to 02-sqlite:data/02-sqlite --verify-only' },
      { say: 'serve stage 02 on the migrated data', command: 'npm run stage -- 02-sqlite --port 3000 --data data/02-sqlite', serves: true },
    ],
  },
  {
    name: '02-sqlite-to-01-csv',
    needsDatabase: false,
    steps: [
      { say: 'roll back: copy stage 02 (with what it has written since) into a fresh CSV directory, verified', command: 'npm run migrate -- --from 02-sqlite:data/02-sqlite --to 01-csv:data/01-csv-rollback' },
    ],
  },
  {
    name: '02-sqlite-to-03-postgres',
    needsDatabase: true,
    steps: [
      { say: 'with stage 02 stopped: what would move into the empty database, writing nothing', command: 'npm run migrate -- --from 02-sqlite:data/02-sqlite --to "03-postgres:$DATABASE_URL" --dry-run' },
      { say: 'copy and verify', command: 'npm run migrate -- --from 02-sqlite:data/02-sqlite --to "03-postgres:$DATABASE_URL"' },
      { say: 'verify again at any time, writing nothing', command: 'npm run migrate -- --from 02-sqlite:data/02-sqlite --to "03-postgres:$DATABASE_URL" --verify-only' },
      { say: 'serve stage 03 on that database (DATABASE_URL set: the runner starts no PostgreSQL of its own)', command: 'npm run stage -- 03-postgres --port 3000 --data data/03-postgres', serves: true },
    ],
  },
  {
    name: '03-postgres-to-02-sqlite',
    needsDatabase: true,
    steps: [
      { say: 'roll back: copy the database (with what stage 03 has written since) into a fresh SQLite directory, verified', command: 'npm run migrate -- --from "03-postgres:$DATABASE_URL" --to 02-sqlite:data/02-sqlite-rollback' },
    ],
  },
  {
    name: '03-postgres-to-04-redis-cache',
    needsDatabase: true,
    steps: [
      { say: 'stop stage 03, then serve stage 04 on the same database; the runner starts an empty Redis (or uses REDIS_URL)', command: 'npm run stage -- 04-redis-cache --port 3000 --data data/04-redis-cache', serves: true },
    ],
  },
  {
    name: '04-redis-cache-to-03-postgres',
    needsDatabase: true,
    steps: [
      { say: 'roll back: stop stage 04 and serve stage 03 on the same database again', command: 'npm run stage -- 03-postgres --port 3000 --data data/03-postgres', serves: true },
    ],
  },
  {
    name: '04-redis-cache-to-05-replicas',
    needsDatabase: true,
    steps: [
      { say: 'stop stage 04, then serve two replicas of it behind nginx on the same database', command: 'npm run stage -- 05-replicas --replicas 2 --port 3000 --data data/05-replicas', serves: true },
    ],
  },
];

export function runbook(name: string): Runbook {
  const found = RUNBOOKS.find((one) => one.name === name);
  if (!found) throw new Error(`no runbook named "${name}"; known: ${RUNBOOKS.map((one) => one.name).join(', ')}`);
  return found;
}

export function renderRunbook(book: Runbook): string {
  const lines = book.steps.flatMap((step) => [`# ${step.say}`, step.command]);
  return ['```sh', ...lines, '```'].join('\n');
}

/** Every command the runbooks hold: the commands the test suite runs. */
export function runbookCommands(): string[] {
  return RUNBOOKS.flatMap((book) => book.steps.map((step) => step.command));
}
