import { parseArgs } from 'node:util';

/** A mistake on the command line: main prints it with the usage and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const SCENARIOS = ['reveal', 'dashboard', 'mixed', 'organizer', 'capacity'] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** The reference targets beside the stages: same HTTP stack over memory, and bare node:http. */
export const REFERENCE_TARGETS = ['ceiling', 'bare-node'] as const;

/** Workloads a capacity ramp can climb with (the scenario `capacity` runs one of them). */
export const CAPACITY_WORKLOADS = ['reveal', 'dashboard', 'mixed'] as const;
export type CapacityWorkload = (typeof CAPACITY_WORKLOADS)[number];

/**
 * The default capacity staircase: equal steps of 300 req/s from a rate every stage but
 * CSV holds to past what one Node process and k6 together serve on two cores.
 */
export const DEFAULT_RAMP: RampOptions = { workload: 'reveal', startRate: 200, maxRate: 5_000, steps: 17 };

export interface RampOptions {
  workload: CapacityWorkload;
  startRate: number;
  maxRate: number;
  steps: number;
}

/**
 * Default fixed rates: one that every target of the comparison holds, so the
 * comparison is of latency and cost at equal load. The CSV stage parses its files on
 * every request, so it gets a rate its slowest size can still serve.
 */
export const DEFAULT_RATES: Record<string, number> = { '01-csv': 5 };
export const DEFAULT_RATE = 200;

/** The rate of every step, as the capacity scenario spaces them: equal steps, rounded. */
export function rampRates(ramp: RampOptions): number[] {
  return Array.from({ length: ramp.steps }, (_, index) => Math.round(ramp.startRate + ((ramp.maxRate - ramp.startRate) * index) / (ramp.steps - 1)));
}

export interface CompareOptions {
  targets: string[];
  scenario: Scenario;
  participants: number;
  rounds: number;
  rate: number;
  ramp: RampOptions;
  /** A fixed-rate run, or one step of a capacity ramp. */
  duration: string;
  warmup: string;
  seed: number;
  name: string;
  outDir: string;
}

export type CompareCommand = { kind: 'compare'; options: CompareOptions } | { kind: 'render'; file: string } | { kind: 'help' };

export const COMPARE_USAGE = `usage: npm run compare -- <A> [<B> ...] [options]
       npm run compare -- --render docs/results/<name>.json

targets: the stages (01-csv, 02-sqlite, 03-postgres, 04-redis-cache, ...), ceiling, bare-node;
         a stage of replicas with a count, 05-replicas:3 (default: the stage's own)

options:
  --scenario S        reveal | dashboard | mixed | organizer | capacity (default reveal)
  --participants N    dataset size, loaded into every target (default 100000)
  --rounds R          rounds per target, alternating A B A B (default 3, at least 2)
  --rate RPS          fixed arrival rate (default: one every target holds)
  --workload W        capacity: reveal | dashboard | mixed (default reveal)
  --start-rate RPS    capacity: the first step (default ${DEFAULT_RAMP.startRate})
  --max-rate RPS      capacity: the last step (default ${DEFAULT_RAMP.maxRate})
  --steps N           capacity: equal steps from the first to the last (default ${DEFAULT_RAMP.steps})
  --duration D        measured run, or each capacity step (default 30s; 4s per step for capacity)
  --warmup D          discarded warm-up in every fresh process (default 10s)
  --seed S            dataset seed (default 1)
  --name NAME         result file name (default <A>-vs-<B>-<scenario>-<participants>)
  --out DIR           where the files go (default docs/results)`;

/** "30s", "1m", "500ms" in seconds. */
export function durationSeconds(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(text);
  if (!match) throw new UsageError(`a duration looks like 30s, 2m or 500ms, got "${text}"`);
  const value = Number(match[1]);
  const seconds = match[2] === 'ms' ? value / 1000 : match[2] === 'm' ? value * 60 : value;
  if (seconds <= 0) throw new UsageError(`a duration must be positive, got "${text}"`);
  return seconds;
}

export function positiveInteger(name: string, text: string, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  const normalised = text.replace(/_/g, '');
  const value = /^\d+[kKmM]?$/.test(normalised)
    ? Number(normalised.replace(/[kK]$/, '000').replace(/[mM]$/, '000000'))
    : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got "${text}"`);
  }
  return value;
}

/** Most replicas a target may ask for: beyond this, the stage runner refuses too. */
export const MAX_REPLICAS = 32;

/**
 * Splits a target name into the stage and, for a stage of replicas, the number of
 * copies asked for: `05-replicas:3` is 05-replicas with three app processes.
 * Returns null for a count that is not a whole number from 1 to MAX_REPLICAS.
 */
export function splitTargetName(name: string): { base: string; replicas?: number } | null {
  const match = /^(.+?)(?::(\d+))?$/.exec(name);
  if (!match) return null;
  const [, base = name, count] = match;
  if (count === undefined) return { base };
  const replicas = Number(count);
  return replicas >= 1 && replicas <= MAX_REPLICAS && String(replicas) === count ? { base, replicas } : null;
}

/**
 * A target is a known name, or a known stage with a replica count (`05-replicas:3`;
 * whether the stage runs replicas is checked when the comparison starts it).
 */
export function checkTargetName(target: string, knownTargets: readonly string[]): void {
  const split = splitTargetName(target);
  if (split === null) throw new UsageError(`a replica count is a whole number from 1 to ${MAX_REPLICAS}, got "${target}"`);
  if (!knownTargets.includes(split.base)) {
    throw new UsageError(`unknown target "${target}"; known: ${knownTargets.join(', ')} (a stage of replicas takes a count: 05-replicas:3)`);
  }
  if (split.replicas !== undefined && (REFERENCE_TARGETS as readonly string[]).includes(split.base)) throw new UsageError(`${split.base} takes no replica count`);
}

export function defaultRate(targets: readonly string[]): number {
  return Math.min(...targets.map((target) => DEFAULT_RATES[target] ?? DEFAULT_RATE));
}

/** Parses the compare command line; `knownTargets` are the names a target may take. */
export function parseCompareArgs(argv: readonly string[], knownTargets: readonly string[]): CompareCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        scenario: { type: 'string' },
        participants: { type: 'string' },
        rounds: { type: 'string' },
        rate: { type: 'string' },
        workload: { type: 'string' },
        'start-rate': { type: 'string' },
        'max-rate': { type: 'string' },
        steps: { type: 'string' },
        duration: { type: 'string' },
        warmup: { type: 'string' },
        seed: { type: 'string' },
        name: { type: 'string' },
        out: { type: 'string' },
        render: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };
  if (values.render !== undefined) {
    if (positionals.length > 0) throw new UsageError('--render takes a result file and no targets');
    return { kind: 'render', file: values.render };
  }
  // One target is a measurement without ratios: the ladder's growth series runs the CSV
  // stage alone at its own rate, and its result files must be reproducible as recorded.
  if (positionals.length < 1) throw new UsageError('name at least one target (two or more to compare them)');
  for (const target of positionals) checkTargetName(target, knownTargets);
  if (new Set(positionals).size !== positionals.length) throw new UsageError('each target may appear once');

  const scenario = (values.scenario ?? 'reveal') as Scenario;
  if (!SCENARIOS.includes(scenario)) throw new UsageError(`--scenario must be one of ${SCENARIOS.join(', ')}, got "${values.scenario}"`);
  const participants = values.participants === undefined ? 100_000 : positiveInteger('participants', values.participants, 3, 10_000_000);
  const rounds = values.rounds === undefined ? 3 : positiveInteger('rounds', values.rounds, 2, 50);
  const rate = values.rate === undefined ? defaultRate(positionals) : positiveInteger('rate', values.rate, 1, 1_000_000);
  const workload = (values.workload ?? DEFAULT_RAMP.workload) as CapacityWorkload;
  if (!CAPACITY_WORKLOADS.includes(workload)) throw new UsageError(`--workload must be one of ${CAPACITY_WORKLOADS.join(', ')}, got "${values.workload}"`);
  const ramp: RampOptions = {
    workload,
    startRate: values['start-rate'] === undefined ? DEFAULT_RAMP.startRate : positiveInteger('start-rate', values['start-rate'], 1, 1_000_000),
    maxRate: values['max-rate'] === undefined ? DEFAULT_RAMP.maxRate : positiveInteger('max-rate', values['max-rate'], 1, 1_000_000),
    steps: values.steps === undefined ? DEFAULT_RAMP.steps : positiveInteger('steps', values.steps, 2, 200),
  };
  if (ramp.maxRate <= ramp.startRate) throw new UsageError('--max-rate must be above --start-rate');
  const duration = values.duration ?? (scenario === 'capacity' ? '4s' : '30s');
  const warmup = values.warmup ?? '10s';
  if (scenario === 'capacity' && durationSeconds(duration) < 1) throw new UsageError('a capacity step lasts at least 1s');
  durationSeconds(duration);
  durationSeconds(warmup);
  const seed = values.seed === undefined ? 1 : positiveInteger('seed', values.seed, 0, 2 ** 31 - 1);
  const what = scenario === 'capacity' ? `capacity-${ramp.workload}` : scenario;
  // `05-replicas:3` names files as 05-replicas-3.
  const name = values.name ?? `${positionals.map((target) => target.replace(':', '-')).join('-vs-')}-${what}-${participants}`;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw new UsageError(`--name may hold letters, digits, dot, dash and underscore, got "${name}"`);
  return {
    kind: 'compare',
    options: { targets: positionals, scenario, participants, rounds, rate, ramp, duration, warmup, seed, name, outDir: values.out ?? 'docs/results' },
  };
}
