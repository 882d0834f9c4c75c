/**
 * `npm run ladder [-- options]`: every adjacent pair of stages on `reveal` and
 * `dashboard`, the references (ceiling vs bare-node), the capacity of every stage,
 * and the growth series (`reveal` at one fixed rate at 1k, 10k, 100k and 1M
 * participants), all on one set of services with each dataset loaded once. Writes
 * every comparison's files and ladder.json, ladder.md and two charts into
 * docs/results/. `npm run ladder -- --render` rebuilds the Markdown and charts.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_RAMP, DEFAULT_RATE, defaultRate, durationSeconds, positiveInteger, UsageError, type CompareOptions, type RampOptions, type Scenario } from './args';
import { CAPACITY_SLO } from './capacity';
import { cleanUpOnSignals } from './cleanup';
import { runComparison, serviceVersions, writeComparison } from './compare';
import { Lab } from './lab';
import { renderLadderCapacitySvg, renderLadderGrowthSvg, renderLadderMarkdown, type ComparisonFiles } from './ladder-report';
import { k6LoadRunner, k6Versions, type LoadRunner } from './load-runner';
import { gitState, isoNow, loadAverage, machineInfo } from './machine';
import { median } from './stats';
import type { ComparisonResult, GrowthSeries, LadderResult } from './result';
import { stageNames, targetSpec } from './targets';

export const LADDER_PARTS = ['pairs', 'capacity', 'growth'] as const;
export type LadderPart = (typeof LADDER_PARTS)[number];

export interface LadderOptions {
  stages: string[];
  participants: number;
  sizes: number[];
  rounds: number;
  duration: string;
  warmup: string;
  seed: number;
  growthRate: number;
  growthRounds: number;
  ramp: RampOptions;
  stepDuration: string;
  /** Seconds a stage may spend loading one size; a stage that would exceed it at the next size stops there. */
  loadLimitSeconds: number;
  parts: LadderPart[];
  outDir: string;
}

export const LADDER_USAGE = `usage: npm run ladder [-- options]
       npm run ladder -- --render [--out DIR]

  --stages A,B,...      stages to run (default: all, in order)
  --participants N      dataset of the pairs and capacity runs (default 100000)
  --sizes N,N,...       growth series sizes (default 1000,10000,100000,1000000)
  --rounds R            rounds per target in pairs and capacity (default 3)
  --duration D          measured run of a pair (default 20s)
  --warmup D            discarded warm-up of every run (default 5s)
  --growth-rate RPS     fixed rate of the growth series (default ${DEFAULT_RATE / 2})
  --growth-rounds R     rounds per stage and size in the growth series (default 2)
  --max-rate RPS        top of the capacity ramp (default ${DEFAULT_RAMP.maxRate})
  --steps N             capacity steps (default ${DEFAULT_RAMP.steps})
  --step-duration D     each capacity step (default 3s)
  --load-limit S        seconds a stage may take to load one size (default 300)
  --parts P,P,...       pairs, capacity, growth (default all)
  --quick               a smoke run: sizes 1000,10000; 10000 participants; 2 rounds of 5s
  --seed S              dataset seed (default 1)
  --out DIR             where the files go (default docs/results)`;

function list(text: string): string[] {
  return text.split(',').map((item) => item.trim()).filter(Boolean);
}

export function parseLadderArgs(argv: readonly string[], known: readonly string[] = stageNames()): { kind: 'run'; options: LadderOptions } | { kind: 'render'; outDir: string } | { kind: 'help' } {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      options: {
        stages: { type: 'string' },
        participants: { type: 'string' },
        sizes: { type: 'string' },
        rounds: { type: 'string' },
        duration: { type: 'string' },
        warmup: { type: 'string' },
        'growth-rate': { type: 'string' },
        'growth-rounds': { type: 'string' },
        'max-rate': { type: 'string' },
        steps: { type: 'string' },
        'step-duration': { type: 'string' },
        'load-limit': { type: 'string' },
        parts: { type: 'string' },
        quick: { type: 'boolean', default: false },
        seed: { type: 'string' },
        out: { type: 'string' },
        render: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return { kind: 'help' };
  const outDir = values.out ?? 'docs/results';
  if (values.render) return { kind: 'render', outDir };
  const quick = values.quick;
  const stages = values.stages === undefined ? [...known] : list(values.stages);
  for (const stage of stages) if (!known.includes(stage)) throw new UsageError(`unknown stage "${stage}"; known: ${known.join(', ')}`);
  if (stages.length === 0) throw new UsageError('--stages names no stage');
  const sizes = (values.sizes === undefined ? (quick ? ['1000', '10000'] : ['1000', '10000', '100000', '1000000']) : list(values.sizes)).map((size) => positiveInteger('sizes', size, 3, 10_000_000));
  for (let i = 1; i < sizes.length; i++) if ((sizes[i] as number) <= (sizes[i - 1] as number)) throw new UsageError('--sizes must increase');
  const parts = values.parts === undefined ? [...LADDER_PARTS] : (list(values.parts) as LadderPart[]);
  for (const part of parts) if (!LADDER_PARTS.includes(part)) throw new UsageError(`--parts takes ${LADDER_PARTS.join(', ')}, got "${part}"`);
  const duration = values.duration ?? (quick ? '5s' : '20s');
  const warmup = values.warmup ?? (quick ? '2s' : '5s');
  const stepDuration = values['step-duration'] ?? (quick ? '2s' : '3s');
  for (const text of [duration, warmup, stepDuration]) durationSeconds(text);
  const ramp: RampOptions = {
    ...DEFAULT_RAMP,
    maxRate: values['max-rate'] === undefined ? DEFAULT_RAMP.maxRate : positiveInteger('max-rate', values['max-rate'], DEFAULT_RAMP.startRate + 1),
    steps: values.steps === undefined ? (quick ? 6 : DEFAULT_RAMP.steps) : positiveInteger('steps', values.steps, 2, 200),
  };
  return {
    kind: 'run',
    options: {
      stages,
      participants: values.participants === undefined ? (quick ? 10_000 : 100_000) : positiveInteger('participants', values.participants, 3, 10_000_000),
      sizes,
      rounds: values.rounds === undefined ? (quick ? 2 : 3) : positiveInteger('rounds', values.rounds, 2, 50),
      duration,
      warmup,
      seed: values.seed === undefined ? 1 : positiveInteger('seed', values.seed, 0, 2 ** 31 - 1),
      growthRate: values['growth-rate'] === undefined ? DEFAULT_RATE / 2 : positiveInteger('growth-rate', values['growth-rate'], 1, 1_000_000),
      growthRounds: values['growth-rounds'] === undefined ? 2 : positiveInteger('growth-rounds', values['growth-rounds'], 2, 50),
      ramp,
      stepDuration,
      loadLimitSeconds: values['load-limit'] === undefined ? 300 : positiveInteger('load-limit', values['load-limit'], 1),
      parts,
      outDir,
    },
  };
}

/** The `npm run compare` line that reproduces one comparison on its own. */
export function compareCommand(options: CompareOptions): string {
  const parts = ['npm run compare --', ...options.targets, '--scenario', options.scenario, '--participants', String(options.participants), '--rounds', String(options.rounds)];
  if (options.scenario === 'capacity') {
    parts.push('--workload', options.ramp.workload, '--start-rate', String(options.ramp.startRate), '--max-rate', String(options.ramp.maxRate), '--steps', String(options.ramp.steps));
  } else {
    parts.push('--rate', String(options.rate));
  }
  parts.push('--duration', options.duration, '--warmup', options.warmup, '--seed', String(options.seed));
  if (options.name !== `${options.targets.join('-vs-')}-${options.scenario === 'capacity' ? `capacity-${options.ramp.workload}` : options.scenario}-${options.participants}`) parts.push('--name', options.name);
  return parts.join(' ');
}

/** Did a stage hold the growth rate? Not when its p95 is far past the SLO, or it failed requests or dropped iterations. */
export function heldGrowthRate(result: ComparisonResult, stage: string): { held: boolean; why: string } {
  const runs = result.runs.filter((run) => run.target === stage);
  const p95 = median(runs.map((run) => run.measured.p95Ms));
  const errors = median(runs.map((run) => run.measured.errorRate));
  const dropped = runs.reduce((sum, run) => sum + run.measured.droppedIterations, 0);
  const reasons: string[] = [];
  if (!(p95 < CAPACITY_SLO.p95Ms * 10)) reasons.push(`median p95 ${p95.toFixed(0)} ms`);
  if (!(errors < CAPACITY_SLO.errorRate)) reasons.push(`${(errors * 100).toFixed(1)}% errors`);
  if (dropped > 0) reasons.push(`${dropped} dropped iterations`);
  return { held: reasons.length === 0, why: reasons.join(', ') };
}

export interface LadderDependencies {
  runLoad: LoadRunner;
  loadVersions?: Record<string, string>;
  log?: (line: string) => void;
  command: string;
  /** An earlier ladder.json: the parts this run does not run are kept from it. */
  previous?: LadderResult;
  /** Called after each part, so an interrupted ladder keeps what it finished. */
  onPart?: (ladder: LadderResult) => void;
}

export async function runLadder(options: LadderOptions, deps: LadderDependencies): Promise<LadderResult> {
  const log = deps.log ?? (() => undefined);
  const lab = new Lab(join(tmpdir(), `santa-ladder-${process.pid}-${Date.now()}`), log);
  const startedAt = isoNow();
  const git = gitState();
  const machine = machineInfo({ ...deps.loadVersions });
  const kept = (part: LadderPart) => !options.parts.includes(part) && deps.previous !== undefined;
  const previous = deps.previous;
  const ladder: LadderResult = {
    schema: 'santa-ladder/1',
    command: deps.command,
    parts: (previous?.parts ?? []).filter((entry) => kept(entry.part)),
    git,
    startedAt,
    finishedAt: startedAt,
    machine,
    comparisons: kept('pairs') ? (previous?.comparisons ?? []) : [],
    capacity: kept('capacity') ? (previous?.capacity ?? null) : null,
    capacityDashboard: kept('capacity') ? (previous?.capacityDashboard ?? null) : null,
    growth: kept('growth') ? (previous?.growth ?? null) : null,
    notes: previous ? previous.notes.filter((note) => !note.startsWith('(')) : [],
  };
  const finishPart = (part: LadderPart, partStarted: string) => {
    ladder.parts.push({ part, command: deps.command, startedAt: partStarted, finishedAt: isoNow() });
    ladder.finishedAt = isoNow();
    deps.onPart?.(ladder);
  };
  const base = { participants: options.participants, rounds: options.rounds, duration: options.duration, warmup: options.warmup, seed: options.seed, ramp: options.ramp, outDir: options.outDir };
  // One comparison that fails (a stage that does not start, say) is written down and the
  // ladder goes on: an hour of measurements is not thrown away for one of them.
  const compare = async (compareOptions: CompareOptions, notes: string[] = []): Promise<ComparisonResult | null> => {
    log(`\n== ${compareOptions.name}`);
    try {
      const result = await runComparison(compareOptions, {
        runLoad: deps.runLoad,
        loadVersions: deps.loadVersions,
        lab,
        log,
        command: compareCommand(compareOptions),
        notes: [`Run as part of \`${deps.command}\`.`, ...notes],
      });
      writeComparison(result, options.outDir);
      return result;
    } catch (error) {
      const message = (error as Error).message.split('\n')[0] as string;
      log(`${compareOptions.name} failed: ${(error as Error).stack ?? message}`);
      ladder.notes.push(`${compareOptions.name} did not complete: ${message}`);
      return null;
    }
  };

  try {
    if (options.parts.includes('pairs')) {
      const partStarted = isoNow();
      for (const scenario of ['reveal', 'dashboard'] as Scenario[]) {
        const pairs: string[][] = options.stages.slice(1).map((stage, i) => [options.stages[i] as string, stage]);
        if (scenario === 'reveal') pairs.push(['ceiling', 'bare-node']);
        for (const targets of pairs) {
          const rate = defaultRate(targets);
          const sizes = [options.participants];
          // A pair with a stage that needs a low rate (CSV) is also run on a tenth of the
          // data, where that stage still answers, so the pair has latencies to compare.
          const slow = rate < DEFAULT_RATE;
          if (slow && options.participants >= 1_000) sizes.push(Math.round(options.participants / 10));
          for (const participants of sizes) {
            const name = `${targets.join('-vs-')}-${scenario}-${participants}`;
            const notes = slow
              ? [`${targets.join(' and ')} run at ${rate} req/s, the default fixed rate of the slower stage; the pair also runs on ${sizes.map((size) => size.toLocaleString('en-US')).join(' and ')} participants.`]
              : [];
            if (await compare({ ...base, participants, targets, scenario, rate, name }, notes)) ladder.comparisons.push(name);
          }
        }
      }
      finishPart('pairs', partStarted);
    }

    if (options.parts.includes('capacity')) {
      const partStarted = isoNow();
      const capable = options.stages.filter((stage) => defaultRate([stage]) >= options.ramp.startRate);
      const left = options.stages.filter((stage) => !capable.includes(stage));
      const note = left.length > 0 ? [`Left out: ${left.join(', ')}, whose default fixed rate is below the ramp's first step of ${options.ramp.startRate} req/s (see its pair).`] : [];
      const capacityBase = { ...base, scenario: 'capacity' as Scenario, rate: DEFAULT_RATE, duration: options.stepDuration };
      const reveal = `capacity-reveal-${options.participants}`;
      if (await compare({ ...capacityBase, targets: ['ceiling', 'bare-node', ...capable], ramp: { ...options.ramp, workload: 'reveal' }, name: reveal }, note)) ladder.capacity = reveal;
      const withServer = capable.filter((stage) => targetSpec(stage).services.includes('postgres'));
      if (withServer.length >= 1) {
        const dashboard = `capacity-dashboard-${options.participants}`;
        const done = await compare(
          { ...capacityBase, targets: withServer, ramp: { ...options.ramp, workload: 'dashboard' }, name: dashboard },
          ['The dashboard capacity runs on the stages with a database server: the cache step (03 to 04) is the one it measures.'],
        );
        if (done) ladder.capacityDashboard = dashboard;
      }
      finishPart('capacity', partStarted);
    }

    if (options.parts.includes('growth')) {
      const partStarted = isoNow();
      const rates = Object.fromEntries(options.stages.map((stage) => [stage, Math.min(options.growthRate, defaultRate([stage]))]));
      const growth: GrowthSeries = { scenario: 'reveal', rates, sizes: options.sizes, stages: options.stages, files: {}, skipped: [] };
      const stoppedAt = new Map<string, string>();
      const lastLoad = new Map<string, { size: number; seconds: number }>();
      for (const size of options.sizes) {
        const running: string[] = [];
        for (const stage of options.stages) {
          const stopped = stoppedAt.get(stage);
          if (stopped) {
            growth.skipped.push({ stage, participants: size, reason: stopped });
            continue;
          }
          const previous = lastLoad.get(stage);
          if (previous && previous.seconds > 0) {
            const estimate = (previous.seconds * size) / previous.size;
            if (estimate > options.loadLimitSeconds) {
              const reason = `loading ${previous.size.toLocaleString('en-US')} participants took ${previous.seconds.toFixed(1)} s, so ${size.toLocaleString('en-US')} would take about ${estimate.toFixed(0)} s, over the bound of ${options.loadLimitSeconds} s`;
              growth.skipped.push({ stage, participants: size, reason });
              stoppedAt.set(stage, `left out at a smaller size: ${reason}`);
              continue;
            }
          }
          running.push(stage);
        }
        growth.files[String(size)] = [];
        for (const rate of [...new Set(running.map((stage) => rates[stage] as number))].sort((a, b) => b - a)) {
          const targets = running.filter((stage) => rates[stage] === rate);
          const name = rate === options.growthRate ? `growth-reveal-${size}` : `growth-reveal-${size}-at-${rate}`;
          const result = await compare({ ...base, targets, scenario: 'reveal', participants: size, rounds: options.growthRounds, rate, name });
          if (!result) {
            for (const stage of targets) stoppedAt.set(stage, `the comparison at ${size.toLocaleString('en-US')} participants did not complete (see the notes)`);
            continue;
          }
          growth.files[String(size)]?.push(name);
          for (const stage of targets) {
            const load = result.dataset.loads.find((one) => one.target === stage);
            if (load) lastLoad.set(stage, { size, seconds: load.seconds });
            const verdict = heldGrowthRate(result, stage);
            if (!verdict.held) stoppedAt.set(stage, `it did not hold ${rate} req/s at ${size.toLocaleString('en-US')} participants (${verdict.why}), so larger sizes would only take longer to show the same`);
          }
        }
      }
      ladder.growth = growth;
      finishPart('growth', partStarted);
    }
    machine.versions = { ...machine.versions, ...serviceVersions(lab) };
  } finally {
    await lab.dispose();
  }
  ladder.finishedAt = isoNow();
  machine.loadAverageAtEnd = loadAverage();
  return ladder;
}

/** The ladder.json already in `outDir`, if any. */
export function readLadder(outDir: string): LadderResult | undefined {
  const path = join(resolve(outDir), 'ladder.json');
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as LadderResult) : undefined;
}

export function readComparisons(outDir: string, names: readonly string[]): Map<string, ComparisonResult> {
  const files = new Map<string, ComparisonResult>();
  for (const name of names) {
    const path = join(resolve(outDir), `${name}.json`);
    if (existsSync(path)) files.set(name, JSON.parse(readFileSync(path, 'utf8')) as ComparisonResult);
  }
  return files;
}

function ladderFileNames(ladder: LadderResult): string[] {
  return [...ladder.comparisons, ladder.capacity, ladder.capacityDashboard, ...Object.values(ladder.growth?.files ?? {}).flat()].filter((name): name is string => typeof name === 'string');
}

export function writeLadder(ladder: LadderResult, outDir: string): void {
  const dir = resolve(outDir);
  writeFileSync(join(dir, 'ladder.json'), `${JSON.stringify(ladder, null, 2)}\n`);
  renderLadderFiles(ladder, dir);
}

export function renderLadderFiles(ladder: LadderResult, outDir: string): void {
  const files: ComparisonFiles = readComparisons(outDir, ladderFileNames(ladder));
  writeFileSync(join(outDir, 'ladder.md'), renderLadderMarkdown(ladder, files));
  const capacity = renderLadderCapacitySvg(ladder, files);
  if (capacity) writeFileSync(join(outDir, 'ladder-capacity.svg'), capacity);
  const growth = renderLadderGrowthSvg(ladder, files);
  if (growth) writeFileSync(join(outDir, 'ladder-growth.svg'), growth);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const argv = process.argv.slice(2);
  let command;
  try {
    command = parseLadderArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n\n${LADDER_USAGE}\n`);
    process.exit(2);
  }
  if (command.kind === 'help') {
    process.stdout.write(`${LADDER_USAGE}\n`);
  } else if (command.kind === 'render') {
    const dir = resolve(command.outDir);
    const ladder = JSON.parse(readFileSync(join(dir, 'ladder.json'), 'utf8')) as LadderResult;
    renderLadderFiles(ladder, dir);
    process.stderr.write(`rendered ${join(dir, 'ladder.md')}\n`);
  } else {
    const log = (line: string) => process.stderr.write(`${line}\n`);
    cleanUpOnSignals();
    const outDir = command.options.outDir;
    mkdirSync(resolve(outDir), { recursive: true });
    const ladder = await runLadder(command.options, {
      runLoad: k6LoadRunner,
      loadVersions: await k6Versions(),
      log,
      command: `npm run ladder${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`,
      previous: readLadder(outDir),
      onPart: (sofar) => writeLadder(sofar, outDir),
    });
    writeLadder(ladder, command.options.outDir);
    log(`wrote ${join(resolve(command.options.outDir), 'ladder.md')}`);
  }
}
