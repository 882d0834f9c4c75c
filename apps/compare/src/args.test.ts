import { describe, expect, it } from 'vitest';
import { DEFAULT_RAMP, durationSeconds, parseCompareArgs, UsageError } from './args';
import { parseDatasetArgs } from './dataset';
import { parseLadderArgs } from './ladder';

const known = ['01-csv', '02-sqlite', '03-postgres', 'ceiling', 'bare-node'];
const parse = (line: string) => parseCompareArgs(line.split(' ').filter(Boolean), known);

describe('compare arguments', () => {
  it('has sensible defaults', () => {
    expect(parse('02-sqlite 03-postgres')).toEqual({
      kind: 'compare',
      options: {
        targets: ['02-sqlite', '03-postgres'],
        scenario: 'reveal',
        participants: 100_000,
        rounds: 3,
        rate: 200,
        ramp: DEFAULT_RAMP,
        duration: '30s',
        warmup: '10s',
        seed: 1,
        name: '02-sqlite-vs-03-postgres-reveal-100000',
        outDir: 'docs/results',
      },
    });
  });

  it('gives the CSV stage a rate it can hold, and capacity short steps', () => {
    const csv = parse('01-csv 02-sqlite');
    expect(csv.kind === 'compare' && csv.options.rate).toBe(5);
    const capacity = parse('ceiling bare-node --scenario capacity --workload dashboard --start-rate 100 --max-rate 400 --steps 4');
    expect(capacity.kind === 'compare' && capacity.options).toMatchObject({
      duration: '4s',
      ramp: { workload: 'dashboard', startRate: 100, maxRate: 400, steps: 4 },
      name: 'ceiling-vs-bare-node-capacity-dashboard-100000',
    });
  });

  it('measures one target alone, as the ladder\'s growth series does for the CSV stage', () => {
    const alone = parse('01-csv --participants 1000 --rounds 2');
    expect(alone.kind === 'compare' && alone.options).toMatchObject({ targets: ['01-csv'], rate: 5, name: '01-csv-reveal-1000' });
  });

  it('takes a replica count after a stage and names the files without the colon', () => {
    const replicas = parse('02-sqlite:2 03-postgres:3 --scenario dashboard');
    expect(replicas.kind === 'compare' && replicas.options).toMatchObject({
      targets: ['02-sqlite:2', '03-postgres:3'],
      name: '02-sqlite-2-vs-03-postgres-3-dashboard-100000',
    });
    expect(() => parse('02-sqlite:0 03-postgres')).toThrow(/whole number from 1 to 32/);
    expect(() => parse('02-sqlite:33 03-postgres')).toThrow(/whole number from 1 to 32/);
    expect(() => parse('ceiling:2 03-postgres')).toThrow(/takes no replica count/);
    expect(() => parse('09-nothing:2 03-postgres')).toThrow(/unknown target/);
  });

  it('reads every option', () => {
    const command = parse('ceiling bare-node --scenario dashboard --participants 1k --rounds 4 --rate 300 --duration 2s --warmup 1s --seed 7 --name x --out /tmp/r');
    expect(command).toEqual({
      kind: 'compare',
      options: expect.objectContaining({ scenario: 'dashboard', participants: 1_000, rounds: 4, rate: 300, duration: '2s', warmup: '1s', seed: 7, name: 'x', outDir: '/tmp/r' }),
    });
    expect(parse('--render docs/results/a.json')).toEqual({ kind: 'render', file: 'docs/results/a.json' });
    expect(parse('--help')).toEqual({ kind: 'help' });
  });

  it.each([
    ['', /at least one target/],
    ['02-sqlite 09-nothing', /unknown target "09-nothing"/],
    ['02-sqlite 02-sqlite', /once/],
    ['02-sqlite 03-postgres --scenario sleep', /--scenario must be one of/],
    ['02-sqlite 03-postgres --participants 2', /--participants must be a whole number from 3/],
    ['02-sqlite 03-postgres --participants ten', /--participants/],
    ['02-sqlite 03-postgres --rounds 1', /--rounds must be a whole number from 2/],
    ['02-sqlite 03-postgres --rate 0', /--rate/],
    ['02-sqlite 03-postgres --scenario capacity --start-rate 200 --max-rate 100', /--max-rate must be above/],
    ['02-sqlite 03-postgres --scenario capacity --workload organizer', /--workload must be one of/],
    ['02-sqlite 03-postgres --scenario capacity --steps 1', /--steps/],
    ['02-sqlite 03-postgres --duration 30', /a duration looks like/],
    ['02-sqlite 03-postgres --name ../x', /--name/],
    ['02-sqlite 03-postgres --colour red', /Unknown option/],
    ['02-sqlite --render x.json', /--render takes a result file and no targets/],
  ])('refuses "%s"', (line, message) => {
    expect(() => parse(line)).toThrow(UsageError);
    expect(() => parse(line)).toThrow(message);
  });

  it('reads durations', () => {
    expect(durationSeconds('30s')).toBe(30);
    expect(durationSeconds('2m')).toBe(120);
    expect(durationSeconds('500ms')).toBe(0.5);
    expect(() => durationSeconds('0s')).toThrow(/positive/);
  });
});

describe('dataset arguments', () => {
  it('opens a directory for the file stages and a URL for the database ones', () => {
    expect(parseDatasetArgs(['--stage', '02-sqlite', '--data', '/tmp/d', '--participants', '1m', '--tokens', '/tmp/t.json'])).toEqual({
      location: { kind: 'sqlite', dataDir: '/tmp/d' },
      participants: 1_000_000,
      seed: 1,
      drawnRate: 1,
      tokensFile: '/tmp/t.json',
    });
    expect(parseDatasetArgs(['--stage', '03-postgres', '--data', 'postgres://santa@127.0.0.1:5432/santa', '--participants', '10', '--seed', '4', '--drawn-rate', '0.5', '--tokens', 't.json'])).toMatchObject({
      location: { kind: 'postgres', connectionString: 'postgres://santa@127.0.0.1:5432/santa' },
      seed: 4,
      drawnRate: 0.5,
    });
  });

  it.each([
    [['--stage', '02-sqlite', '--data', 'd', '--participants', '10'], /are required/],
    [['--stage', '09-x', '--data', 'd', '--participants', '10', '--tokens', 't'], /unknown stage/],
    [['--stage', '03-postgres', '--data', '/tmp/d', '--participants', '10', '--tokens', 't'], /must be a postgres:\/\/ URL/],
    [['--stage', '02-sqlite', '--data', 'd', '--participants', '10', '--tokens', 't', '--drawn-rate', '2'], /--drawn-rate/],
    [['--stage', '02-sqlite', '--data', 'd', '--participants', '10', '--tokens', 't', '--extra'], /Unknown option/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseDatasetArgs(argv)).toThrow(message);
  });
});

describe('ladder arguments', () => {
  const stages = ['01-csv', '02-sqlite', '03-postgres', '04-redis-cache'];

  it('runs everything by default, and a smoke run with --quick', () => {
    const full = parseLadderArgs([], stages);
    expect(full.kind === 'run' && full.options).toMatchObject({ stages, participants: 100_000, sizes: [1_000, 10_000, 100_000, 1_000_000], rounds: 3, parts: ['pairs', 'capacity', 'growth'] });
    const quick = parseLadderArgs(['--quick', '--stages', '02-sqlite,03-postgres', '--parts', 'growth'], stages);
    expect(quick.kind === 'run' && quick.options).toMatchObject({ stages: ['02-sqlite', '03-postgres'], participants: 10_000, sizes: [1_000, 10_000], rounds: 2, duration: '5s', parts: ['growth'] });
    expect(parseLadderArgs(['--render'], stages)).toEqual({ kind: 'render', outDir: 'docs/results' });
  });

  it.each([
    [['--stages', '02-sqlite,07-x'], /unknown stage "07-x"/],
    [['--sizes', '1000,100'], /--sizes must increase/],
    [['--parts', 'pairs,speed'], /--parts takes/],
    [['--rounds', '1'], /--rounds/],
    [['--duration', 'long'], /a duration looks like/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseLadderArgs(argv, stages)).toThrow(UsageError);
    expect(() => parseLadderArgs(argv, stages)).toThrow(message);
  });
});
