import { describe, expect, it } from 'vitest';
import { DEFAULT_RAMP, durationSeconds, parseCompareArgs, UsageError } from './args';

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
    ['02-sqlite', /at least two targets/],
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
