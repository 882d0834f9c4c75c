import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCommand } from './cli';
import { describeLocation, parseLocation, UsageError } from './locations';

describe('the command line', () => {
  it('reads a copy between two stages, with directories made absolute and URLs kept whole', () => {
    expect(parseCommand(['--from', '01-csv:data/01', '--to', '03-postgres:postgres://u:secret@db:5432/santa?sslmode=disable'])).toEqual({
      kind: 'migrate',
      from: { stage: '01-csv', place: resolve('data/01') },
      to: { stage: '03-postgres', place: 'postgres://u:secret@db:5432/santa?sslmode=disable' },
      mode: 'copy',
      resume: false,
      batchSize: 10_000,
      json: false,
      progressEveryMs: 2_000,
    });
    expect(parseCommand(['--from', '02-sqlite:a', '--to', '01-csv:b', '--verify-only', '--batch-size', '500'])).toMatchObject({
      mode: 'verify-only',
      batchSize: 500,
    });
    expect(parseCommand(['--from', '02-sqlite:a', '--to', '01-csv:b', '--dry-run', '--resume'])).toMatchObject({
      mode: 'dry-run',
      resume: true,
    });
  });

  it('reads the benchmark and its sizes', () => {
    expect(parseCommand(['--benchmark', '--participants', '100000,1_000_000'])).toMatchObject({
      kind: 'benchmark',
      participants: [100_000, 1_000_000],
      seed: 1,
      resultsDir: 'docs/results',
    });
  });

  it.each([
    [['--from', '01-csv:a'], /--from and --to are both needed/],
    [['--from', '01-csv:a', '--to', '02-sqlite:b', '--verify-only', '--dry-run'], /do not go together/],
    [['--from', '01-csv:a', '--to', '02-sqlite:b', '--batch-size', '0'], /--batch-size must be a whole number/],
    [['--from', '01-csv:a', '--to', '02-sqlite:b', '--participants', '5'], /goes with --benchmark only/],
    [['--benchmark', '--from', '01-csv:a'], /--from does not go with it/],
    [['--from', '01-csv:a', '--to', '02-sqlite:b', '--force'], /Unknown option '--force'/],
    [['--from', '04-redis-cache:postgres://db/santa', '--to', '01-csv:b'], /its data is 03-postgres's data/],
    [['--from', '05-replicas:x', '--to', '01-csv:b'], /Migrate to or from 03-postgres/],
    [['--from', '06-sharding:x', '--to', '01-csv:b'], /does not start with a stage/],
    [['--from', '02-sqlite:', '--to', '01-csv:b'], /names no location/],
    [['--from', '03-postgres:/var/lib/db', '--to', '01-csv:b'], /needs a postgres:\/\/ URL/],
  ])('refuses %j, saying why', (argv, message) => {
    expect(() => parseCommand(argv)).toThrow(UsageError);
    expect(() => parseCommand(argv)).toThrow(message);
  });

  it('never shows a database password', () => {
    expect(describeLocation(parseLocation('03-postgres:postgres://santa:hunter2@db:5432/santa'))).toBe(
      '03-postgres:postgres://santa:***@db:5432/santa',
    );
  });
});
