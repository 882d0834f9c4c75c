import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { CompareOptions } from './args';
import { durationSeconds, rampRates } from './args';
import { deriveCapacity } from './capacity';
import { Lab, type DataKey } from './lab';
import type { LoadRunner } from './load-runner';
import { gitState, isoNow, loadAverage, machineInfo } from './machine';
import { descendantsNamed, UsageMeter, type GroupSpec } from './proc';
import { renderComparisonMarkdown, renderComparisonSvg } from './report';
import type { ComparisonResult, DatasetRecord, GroupRecord, RunRecord } from './result';
import { startTarget } from './target-process';
import { targetSpec, type TargetSpec } from './targets';

export interface CompareDependencies {
  runLoad: LoadRunner;
  /** Versions of k6 and whatever else the load runner knows, for the machine record. */
  loadVersions?: Record<string, string>;
  /** Shared services and loaded data; a fresh lab (disposed at the end) when absent. */
  lab?: Lab;
  log?: (line: string) => void;
  /** The command recorded in the result. */
  command: string;
  notes?: string[];
}

/**
 * Runs one comparison: the same dataset in every target, then rounds alternating the
 * targets, each run a fresh process that is warmed up (discarded), measured and
 * stopped. Returns the raw record; `writeComparison` turns it into files.
 */
export async function runComparison(options: CompareOptions, deps: CompareDependencies): Promise<ComparisonResult> {
  const log = deps.log ?? (() => undefined);
  const ownLab = deps.lab === undefined;
  const lab = deps.lab ?? new Lab(join(tmpdir(), `santa-compare-${process.pid}-${Date.now()}`), log);
  const startedAt = isoNow();
  const git = gitState();
  const machine = machineInfo({});
  const specs = options.targets.map(targetSpec);
  const isCapacity = options.scenario === 'capacity';
  try {
    await lab.ensureServices(specs.flatMap((spec) => spec.services));
    const drawnRate = drawnRateFor(options);
    const dataset: DatasetRecord = { seed: options.seed, participants: options.participants, drawnRate, rows: null, tokensInFile: 0, loads: [] };
    const data = { participants: options.participants, seed: options.seed, drawnRate };
    for (const spec of specs) {
      log(`loading ${options.participants} participants into ${spec.name}`);
      const loaded = await lab.loadData(spec, data, log);
      dataset.rows ??= loaded.rows;
      dataset.loads.push({ target: spec.name, seconds: loaded.seconds, how: loaded.how });
      log(`${spec.name}: ${loaded.how} (${loaded.seconds.toFixed(1)} s)`);
    }
    const tokens = await lab.tokensFile(data);
    dataset.tokensInFile = tokens.count;

    const runs: RunRecord[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      for (const spec of specs) {
        log(`round ${round}/${options.rounds}: ${spec.name}`);
        runs.push(await runOnce(spec, round, options, lab, tokens.path, deps));
        const last = runs[runs.length - 1] as RunRecord;
        log(
          `  ${spec.name}: ${last.measured.rps.toFixed(0)} req/s, p95 ${last.measured.p95Ms.toFixed(2)} ms, errors ${(last.measured.errorRate * 100).toFixed(2)}%, dropped ${last.measured.droppedIterations}` +
            (last.capacity ? `, capacity ${last.capacity.rate} req/s` : ''),
        );
      }
    }

    machine.versions = { ...machine.versions, ...deps.loadVersions, ...serviceVersions(lab) };
    machine.loadAverageAtEnd = loadAverage();
    return {
      schema: 'santa-compare/1',
      name: options.name,
      command: deps.command,
      git,
      startedAt,
      finishedAt: isoNow(),
      machine,
      settings: {
        targets: options.targets,
        scenario: options.scenario,
        participants: options.participants,
        rounds: options.rounds,
        rate: isCapacity ? null : options.rate,
        ramp: isCapacity ? { ...options.ramp, rates: rampRates(options.ramp) } : null,
        duration: options.duration,
        warmup: options.warmup,
        seed: options.seed,
      },
      dataset,
      runs,
      notes: deps.notes ?? [],
    };
  } finally {
    if (ownLab) await lab.dispose();
  }
}

/** PostgreSQL's and Redis's versions, for those the lab runs. */
export function serviceVersions(lab: Lab): Record<string, string> {
  const versions: Record<string, string> = {};
  if (lab.postgres) versions.postgres = lab.postgres.version.replace(/^postgres \(PostgreSQL\) /, '');
  if (lab.redis) versions.redis = /v=(\S+)/.exec(lab.redis.version)?.[1] ?? lab.redis.version;
  return versions;
}

/** Joining needs exchanges that are still open; every other workload reads drawn ones. */
export function drawnRateFor(options: Pick<CompareOptions, 'scenario' | 'ramp'>): number {
  return options.scenario === 'mixed' || (options.scenario === 'capacity' && options.ramp.workload === 'mixed') ? 0.9 : 1;
}

/**
 * What a target's process needs to find its data and services (DATABASE_URL,
 * REDIS_URL); the cache is emptied first, so every run of a cached stage starts cold.
 */
export async function freshTargetEnvironment(spec: TargetSpec, lab: Lab, data: DataKey): Promise<Record<string, string>> {
  const location = lab.locationFor(spec, data);
  const env: Record<string, string> = {};
  if (location?.kind === 'postgres') env.DATABASE_URL = location.connectionString;
  if (spec.services.includes('redis') && lab.redis) {
    env.REDIS_URL = lab.redis.url;
    await lab.flushRedis();
  }
  return env;
}

async function runOnce(spec: TargetSpec, round: number, options: CompareOptions, lab: Lab, tokensFile: string, deps: CompareDependencies): Promise<RunRecord> {
  const data = { participants: options.participants, seed: options.seed, drawnRate: drawnRateFor(options) };
  const env = await freshTargetEnvironment(spec, lab, data);
  const dataDir = lab.stageDataDir(spec.name, data);
  const runDir = join(lab.workDir, 'runs', `${options.name}-${spec.name}-${round}`);
  mkdirSync(runDir, { recursive: true });

  const startedAt = isoNow();
  const target = await startTarget({ spec, dataDir, env, data, logFile: join(runDir, 'stderr.log') });
  try {
    const isCapacity = options.scenario === 'capacity';
    // The warm-up runs the same scenario at a rate every target holds: JIT, caches and
    // connection pools settle before anything is measured.
    await deps.runLoad({
      scenario: isCapacity ? options.ramp.workload : options.scenario,
      baseUrl: target.url,
      tokensFile,
      rate: isCapacity ? options.ramp.startRate : options.rate,
      duration: options.warmup,
      summaryFile: join(runDir, 'warmup-summary.json'),
    });

    const groups: Record<string, GroupSpec> = {
      app: { roots: () => [target.pid], exclude: () => descendantsNamed(target.pid, 'nginx') },
      nginx: { roots: () => descendantsNamed(target.pid, 'nginx') },
      k6: { roots: () => descendantsNamed(process.pid, 'k6'), reapedBy: process.pid },
    };
    const postgresPid = lab.postgres?.pid;
    if (spec.services.includes('postgres') && postgresPid !== undefined) groups.postgres = { roots: () => [postgresPid] };
    const redisPid = lab.redis?.pid;
    if (spec.services.includes('redis') && redisPid !== undefined) groups.redis = { roots: () => [redisPid] };

    const countersBefore = await scrapeCounters(target.url, COUNTED_METRICS);
    const meter = new UsageMeter(groups);
    meter.start();
    const outcome = await deps
      .runLoad({
        scenario: options.scenario,
        baseUrl: target.url,
        tokensFile,
        ...(isCapacity ? { ramp: { ...options.ramp, stepSeconds: durationSeconds(options.duration) } } : { rate: options.rate, duration: options.duration }),
        summaryFile: join(runDir, 'summary.json'),
      })
      .catch((error: unknown) => {
        meter.stop();
        throw error;
      });
    const { groups: usage, machine } = meter.stop();
    const countersAfter = await scrapeCounters(target.url, COUNTED_METRICS);
    const counters: Record<string, number> = {};
    for (const [key, value] of Object.entries(countersAfter)) counters[key] = value - (countersBefore[key] ?? 0);
    const requests = outcome.measured.requests;
    const records: Record<string, GroupRecord> = {};
    for (const [name, one] of Object.entries(usage)) {
      // nginx appears only in stages that run it.
      if (name === 'nginx' && one.pids.length === 0 && one.cpuSeconds === 0) continue;
      records[name] = { ...one, cpuSecondsPer1kRequests: requests > 0 ? (one.cpuSeconds / requests) * 1000 : Number.NaN };
    }
    return {
      target: spec.name,
      round,
      startedAt,
      startupSeconds: target.startupSeconds,
      measured: outcome.measured,
      capacity: outcome.steps ? deriveCapacity(outcome.steps) : null,
      groups: records,
      machine,
      counters,
      k6Summary: outcome.summary,
    };
  } finally {
    await target.stop();
  }
}

/** Counters of the stage's own /metrics worth keeping per run: how often the cache answered. */
export const COUNTED_METRICS = ['santa_cache_reads_total'];

/**
 * The samples of some counters from a target's Prometheus text, keyed
 * `name{labels}`; empty when the target has no /metrics (bare-node) or none of them.
 */
export async function scrapeCounters(url: string, names: readonly string[]): Promise<Record<string, number>> {
  let text: string;
  try {
    const response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5_000) });
    text = await response.text();
    if (!response.ok) return {};
  } catch {
    return {};
  }
  return parseCounters(text, names);
}

export function parseCounters(text: string, names: readonly string[]): Record<string, number> {
  const counters: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)$/.exec(line);
    if (!match || !names.includes(match[1] as string)) continue;
    const value = Number(match[3]);
    if (Number.isFinite(value)) counters[`${match[1]}${match[2] ?? ''}`] = value;
  }
  return counters;
}

/** Writes `<name>.json`, `<name>.md` and `<name>.svg`; returns their paths. */
export function writeComparison(result: ComparisonResult, outDir: string): { json: string; markdown: string; svg: string } {
  const dir = resolve(outDir);
  mkdirSync(dir, { recursive: true });
  const paths = { json: join(dir, `${result.name}.json`), markdown: join(dir, `${result.name}.md`), svg: join(dir, `${result.name}.svg`) };
  writeFileSync(paths.json, `${JSON.stringify(result, null, 2)}\n`);
  writeRendered(result, paths);
  return paths;
}

export function writeRendered(result: ComparisonResult, paths: { markdown: string; svg: string }): void {
  writeFileSync(paths.markdown, renderComparisonMarkdown(result));
  writeFileSync(paths.svg, renderComparisonSvg(result));
}
