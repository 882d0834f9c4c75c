import { CAPACITY_SLO } from './capacity';
import type { ComparisonResult, RunRecord } from './result';
import { PROJECTED_CORES, scalingModels } from './scaling';
import { median, ratio, spread, type Spread } from './stats';
import { barChart, combine } from './svg';

/**
 * Markdown and SVG from a comparison's JSON. Every number printed here is computed
 * from the JSON, so `npm run compare -- --render <file>.json` rebuilds both files.
 */

export const GROUP_ORDER = ['app', 'postgres', 'redis', 'nginx', 'k6'] as const;

/** Share of cached reads answered from the cache in a run; null when the target has no cache. */
export function cacheHitRate(run: RunRecord): number | null {
  let hits = 0;
  let total = 0;
  for (const [key, value] of Object.entries(run.counters ?? {})) {
    if (!key.startsWith('santa_cache_reads_total')) continue;
    total += value;
    if (/result="hit"/.test(key)) hits += value;
  }
  return total > 0 ? hits / total : null;
}

export interface TargetSummary {
  target: string;
  rounds: number;
  rps: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  errorRate: number;
  droppedIterations: number;
  /** Median capacity over rounds (capacity scenarios only). */
  capacity: number | null;
  /** Median share of cached reads served by the cache; null without a cache. */
  cacheHitRate: number | null;
  /** Median CPU seconds per 1k requests per group. */
  cpuPer1k: Record<string, number>;
  /** Highest peak memory seen in any round, per group. */
  peakMemoryBytes: Record<string, number>;
}

export interface RatioSummary {
  target: string;
  baseline: string;
  /** Per round: this target's figure over the baseline's in the same round. */
  perRound: Array<{ round: number; rps: number; p95: number; capacity: number | null; appCpuPer1k: number }>;
  rps: Spread;
  p95: Spread;
  capacity: Spread | null;
  appCpuPer1k: Spread;
}

export interface ComparisonSummary {
  targets: TargetSummary[];
  ratios: RatioSummary[];
  groups: string[];
  isCapacity: boolean;
  droppedRuns: RunRecord[];
  /** Whether any target reported cache reads. */
  hasCache: boolean;
}

function runsOf(result: ComparisonResult, target: string): RunRecord[] {
  return result.runs.filter((run) => run.target === target);
}

export function summarize(result: ComparisonResult): ComparisonSummary {
  const isCapacity = result.settings.ramp !== null;
  const present = new Set(result.runs.flatMap((run) => Object.keys(run.groups)));
  const groups = [...GROUP_ORDER.filter((group) => present.has(group)), ...[...present].filter((group) => !(GROUP_ORDER as readonly string[]).includes(group)).sort()];
  const targets = result.settings.targets.map((target): TargetSummary => {
    const runs = runsOf(result, target);
    const pick = (get: (run: RunRecord) => number) => median(runs.map(get));
    return {
      target,
      rounds: runs.length,
      rps: pick((run) => run.measured.rps),
      p50Ms: pick((run) => run.measured.p50Ms),
      p95Ms: pick((run) => run.measured.p95Ms),
      p99Ms: pick((run) => run.measured.p99Ms),
      errorRate: pick((run) => run.measured.errorRate),
      droppedIterations: runs.reduce((sum, run) => sum + run.measured.droppedIterations, 0),
      capacity: isCapacity ? pick((run) => run.capacity?.rate ?? Number.NaN) : null,
      cacheHitRate: runs.some((run) => cacheHitRate(run) !== null) ? pick((run) => cacheHitRate(run) ?? Number.NaN) : null,
      cpuPer1k: Object.fromEntries(groups.map((group) => [group, pick((run) => run.groups[group]?.cpuSecondsPer1kRequests ?? Number.NaN)])),
      peakMemoryBytes: Object.fromEntries(groups.map((group) => [group, Math.max(0, ...runs.map((run) => run.groups[group]?.peakMemoryBytes ?? 0))])),
    };
  });
  const [baseline, ...others] = result.settings.targets;
  const baseRuns = baseline === undefined ? [] : runsOf(result, baseline);
  const ratios = others.map((target): RatioSummary => {
    const perRound = runsOf(result, target).flatMap((run) => {
      const base = baseRuns.find((candidate) => candidate.round === run.round);
      if (!base) return [];
      return [
        {
          round: run.round,
          rps: ratio(run.measured.rps, base.measured.rps),
          p95: ratio(run.measured.p95Ms, base.measured.p95Ms),
          capacity: isCapacity ? ratio(run.capacity?.rate ?? Number.NaN, base.capacity?.rate ?? Number.NaN) : null,
          appCpuPer1k: ratio(run.groups.app?.cpuSecondsPer1kRequests ?? Number.NaN, base.groups.app?.cpuSecondsPer1kRequests ?? Number.NaN),
        },
      ];
    });
    return {
      target,
      baseline: baseline as string,
      perRound,
      rps: spread(perRound.map((one) => one.rps)),
      p95: spread(perRound.map((one) => one.p95)),
      capacity: isCapacity ? spread(perRound.map((one) => one.capacity ?? Number.NaN)) : null,
      appCpuPer1k: spread(perRound.map((one) => one.appCpuPer1k)),
    };
  });
  const droppedRuns = result.runs.filter((run) => run.measured.droppedIterations > 0);
  return { targets, ratios, groups, isCapacity, droppedRuns, hasCache: targets.some((one) => one.cacheHitRate !== null) };
}

/**
 * Rounds in which a target held even the ramp's top step: its capacity is at least
 * that, so ratios over it are upper bounds and ratios of it lower bounds.
 */
export function toppedOut(result: ComparisonResult, target: string): { rounds: number; of: number } {
  const runs = result.runs.filter((run) => run.target === target && run.capacity !== null);
  return { rounds: runs.filter((run) => run.capacity?.brokeAt === null && (run.capacity?.rate ?? 0) > 0).length, of: runs.length };
}

/** Fixed decimals for tables; a dash for a missing figure. */
export function fmt(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function pct(value: number): string {
  return Number.isFinite(value) ? `${fmt(value * 100, 2)}%` : '–';
}

function mib(bytes: number | undefined): string {
  return bytes && bytes > 0 ? fmt(bytes / 2 ** 20, 0) : '–';
}

function x(value: number): string {
  if (!Number.isFinite(value)) return '–';
  // Two decimals, but two significant digits for ratios far below one (CSV against SQLite).
  return value !== 0 && Math.abs(value) < 0.1 ? `${Number(value.toPrecision(2))}×` : `${fmt(value, 2)}×`;
}

function table(header: string[], rows: string[][], align?: Array<'l' | 'r'>): string {
  const rule = header.map((_, i) => ((align?.[i] ?? (i === 0 ? 'l' : 'r')) === 'r' ? '---:' : '---'));
  return [header, rule, ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

/** The one-line verdict, with its numbers. */
export function verdict(result: ComparisonResult, summary: ComparisonSummary = summarize(result)): string {
  const [base, ...rest] = summary.targets;
  if (!base) return 'No runs.';
  const topped = summary.isCapacity
    ? summary.targets
        .map((one) => ({ target: one.target, ...toppedOut(result, one.target) }))
        .filter((one) => one.rounds > 0)
        .map((one) => `${one.target} in ${one.rounds} of ${one.of} rounds`)
    : [];
  const top = result.settings.ramp?.maxRate ?? Number.NaN;
  const toppedNote =
    topped.length > 0
      ? ` The ramp's top step (${fmt(top, 0)} req/s) still held for ${topped.join(', ')}: there the capacity is at least the figure given, and a ratio over it is an upper bound.`
      : '';
  return (
    rest
    .map((other) => {
      const r = summary.ratios.find((one) => one.target === other.target) as RatioSummary;
      if (summary.isCapacity) {
        const c = r.capacity as Spread;
        return `**${other.target}** held ${fmt(other.capacity, 0)} req/s against ${fmt(base.capacity, 0)} for **${base.target}** (median capacity, p95 < ${CAPACITY_SLO.p95Ms} ms and < 1% errors): ${x(c.median)} (rounds ${x(c.min)}–${x(c.max)}).`;
      }
      const rate = result.settings.rate === null ? '' : `At ${fmt(result.settings.rate, 0)} req/s, `;
      const cpuA = base.cpuPer1k.app;
      const cpuB = other.cpuPer1k.app;
      return `${rate}**${other.target}** answers with a median p95 of ${fmt(other.p95Ms, 2)} ms against ${fmt(base.p95Ms, 2)} ms for **${base.target}** (p95 ratio ${x(r.p95.median)}, rounds ${x(r.p95.min)}–${x(r.p95.max)}), serving ${fmt(other.rps, 0)} against ${fmt(base.rps, 0)} req/s, and its app spends ${fmt(cpuB, 2)} CPU ms per request against ${fmt(cpuA, 2)}.`;
    })
    .join(' ') + toppedNote
  );
}

export function renderComparisonMarkdown(result: ComparisonResult): string {
  const summary = summarize(result);
  const { settings, machine, dataset } = result;
  const lines: string[] = [];
  lines.push(`# ${settings.targets.join(' vs ')}: \`${settings.scenario}\`, ${fmt(settings.participants, 0)} participants`, '');
  lines.push(`<!-- Generated from ${result.name}.json by apps/compare (report.ts): edit the code, not this file. -->`, '');
  lines.push(`![${settings.targets.join(' vs ')}](${result.name}.svg)`, '');
  lines.push(verdict(result, summary), '');
  lines.push('```sh', result.command, '```', '');

  const load = settings.ramp
    ? `ramping arrival rate of the \`${settings.ramp.workload}\` workload, ${settings.ramp.steps} steps of ${settings.duration} from ${fmt(settings.ramp.startRate, 0)} to ${fmt(settings.ramp.maxRate, 0)} req/s`
    : `constant arrival rate of ${fmt(settings.rate, 0)} req/s for ${settings.duration}`;
  lines.push(
    `- **Load:** ${load}, after a ${settings.warmup} warm-up (discarded) in every fresh process; ${settings.rounds} rounds, targets alternating (${settings.targets.join(', ')}, then again).`,
    `- **Dataset:** seed ${dataset.seed}, ${fmt(dataset.participants, 0)} participants, ${fmt(dataset.drawnRate * 100, 0)}% of exchanges drawn${dataset.rows ? ` (${Object.entries(dataset.rows).map(([table, count]) => `${fmt(count, 0)} ${table}`).join(', ')})` : ''}; ${fmt(dataset.tokensInFile, 0)} participant tokens in the k6 token file.`,
    `- **Loading:** ${dataset.loads.map((one) => `${one.target} ${fmt(one.seconds, 1)} s (${one.how})`).join('; ') || '–'}.`,
    `- **Machine:** ${machine.cores} cores (${machine.cpuModel}), ${fmt(machine.memoryBytes / 2 ** 30, 1)} GiB, Linux ${machine.kernel}; load average ${machine.loadAverageAtStart.map((v) => fmt(v, 2)).join(' ')} at the start${machine.loadAverageAtEnd ? `, ${machine.loadAverageAtEnd.map((v) => fmt(v, 2)).join(' ')} at the end` : ''}. Everything (k6, the app, its services) shares these cores.`,
    `- **Versions:** ${Object.entries(machine.versions).map(([name, version]) => `${name} ${version}`).join(', ')}.`,
    `- **Commit:** \`${result.git.commit.slice(0, 12)}\`${result.git.dirty ? ' (with uncommitted changes)' : ''}; ${result.startedAt} to ${result.finishedAt}.`,
    '',
  );

  lines.push('## Medians', '');
  const groupCols = summary.groups.map((group) => `CPU ${group}`);
  lines.push(
    table(
      ['target', ...(summary.isCapacity ? ['capacity req/s'] : []), 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'errors', 'dropped', ...(summary.hasCache ? ['cache hits'] : []), ...groupCols, ...summary.groups.map((group) => `peak MiB ${group}`)],
      summary.targets.map((one) => [
        `**${one.target}**`,
        ...(summary.isCapacity ? [fmt(one.capacity, 0)] : []),
        fmt(one.rps, 0),
        fmt(one.p50Ms, 2),
        fmt(one.p95Ms, 2),
        fmt(one.p99Ms, 2),
        pct(one.errorRate),
        fmt(one.droppedIterations, 0),
        ...(summary.hasCache ? [one.cacheHitRate === null ? '–' : pct(one.cacheHitRate)] : []),
        ...summary.groups.map((group) => fmt(one.cpuPer1k[group], 2)),
        ...summary.groups.map((group) => mib(one.peakMemoryBytes[group])),
      ]),
    ),
    '',
    `CPU columns are CPU seconds per 1,000 requests (equally: CPU milliseconds per request) for each process group, from \`/proc/<pid>/stat\` over the measured window; peak MiB is the highest proportional set size of the group seen during any round. Dropped is the total over all rounds.${summary.hasCache ? ' Cache hits is the share of cached reads the cache answered during the measured window (from the stage\'s `santa_cache_reads_total`); Redis is emptied before every run.' : ''}`,
    '',
  );

  if (summary.isCapacity) lines.push(...renderScalingModel(summary, machine.cores));

  if (summary.ratios.length > 0) {
    lines.push(`## Ratios to ${summary.targets[0]?.target} (same round)`, '');
    const header = ['round', ...summary.ratios.flatMap((r) => [...(summary.isCapacity ? [`${r.target} capacity`] : []), `${r.target} req/s`, `${r.target} p95`, `${r.target} app CPU/req`])];
    const rounds = [...new Set(summary.ratios.flatMap((r) => r.perRound.map((one) => one.round)))].sort((a, b) => a - b);
    const rows = rounds.map((round) => [
      String(round),
      ...summary.ratios.flatMap((r) => {
        const one = r.perRound.find((candidate) => candidate.round === round);
        return [...(summary.isCapacity ? [x(one?.capacity ?? Number.NaN)] : []), x(one?.rps ?? Number.NaN), x(one?.p95 ?? Number.NaN), x(one?.appCpuPer1k ?? Number.NaN)];
      }),
    ]);
    for (const label of ['min', 'median', 'max'] as const) {
      rows.push([
        `**${label}**`,
        ...summary.ratios.flatMap((r) => [...(summary.isCapacity ? [x((r.capacity as Spread)[label])] : []), x(r.rps[label]), x(r.p95[label]), x(r.appCpuPer1k[label])]),
      ]);
    }
    lines.push(table(header, rows), '');
  }

  lines.push('## Every round', '');
  lines.push(
    table(
      ['round', 'target', ...(summary.isCapacity ? ['capacity req/s', 'broke at'] : []), 'req/s', 'requests', 'p50 ms', 'p95 ms', 'p99 ms', 'errors', 'dropped', ...(summary.hasCache ? ['cache hits'] : []), ...groupCols, ...summary.groups.map((group) => `peak MiB ${group}`), 'start s'],
      result.runs.map((run) => [
        String(run.round),
        run.target,
        ...(summary.isCapacity
          ? [fmt(run.capacity?.rate, 0), run.capacity?.brokeAt ? `${fmt(run.capacity.brokeAt.rate, 0)}: ${run.capacity.brokeAt.reasons.join(', ')}` : 'never: the top step held']
          : []),
        fmt(run.measured.rps, 0),
        fmt(run.measured.requests, 0),
        fmt(run.measured.p50Ms, 2),
        fmt(run.measured.p95Ms, 2),
        fmt(run.measured.p99Ms, 2),
        pct(run.measured.errorRate),
        fmt(run.measured.droppedIterations, 0),
        ...(summary.hasCache ? [pct(cacheHitRate(run) ?? Number.NaN)] : []),
        ...summary.groups.map((group) => fmt(run.groups[group]?.cpuSecondsPer1kRequests, 2)),
        ...summary.groups.map((group) => mib(run.groups[group]?.peakMemoryBytes)),
        fmt(run.startupSeconds, 1),
      ]),
      ['r', 'l'],
    ),
    '',
  );

  if (summary.droppedRuns.length > 0) {
    lines.push('## Dropped iterations', '');
    for (const run of summary.droppedRuns) {
      lines.push(`- Round ${run.round} of **${run.target}** dropped ${fmt(run.measured.droppedIterations, 0)} iterations: k6 had no free VU to start them on time, so the offered rate was not fully delivered and its latency understates the queueing.`);
    }
    lines.push('');
  } else {
    lines.push('No run dropped an iteration: every run received the full offered load.', '');
  }

  if (summary.isCapacity) {
    lines.push('## Capacity steps', '');
    lines.push(
      `Each ramp step holds one arrival rate for ${settings.duration}; a step holds when its p95 is under ${CAPACITY_SLO.p95Ms} ms, under ${CAPACITY_SLO.errorRate * 100}% of its requests failed and k6 started at least ${CAPACITY_SLO.deliveredShare * 100}% of the iterations it scheduled. Capacity is the rate of the highest step such that it and every step below it held.`,
      '',
    );
    const rates = settings.ramp?.rates ?? [];
    lines.push(
      table(
        ['round', 'target', ...rates.map((rate) => `${fmt(rate, 0)}/s p95`)],
        result.runs.map((run) => [
          String(run.round),
          run.target,
          ...rates.map((rate) => {
            const step = run.capacity?.steps.find((candidate) => candidate.rate === rate);
            if (!step) return '–';
            return `${fmt(step.p95Ms, 1)}${step.held ? '' : ' ✗'}`;
          }),
        ]),
        ['r', 'l'],
      ),
      '',
      '✗ marks a step that did not hold.',
      '',
    );
  }

  lines.push(...renderMachineSection(result));

  if (result.notes.length > 0) {
    lines.push('## Notes', '', ...result.notes.map((note) => `- ${note}`), '');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

/**
 * A run counts as disturbed when processes outside the comparison and the hypervisor
 * together took more than this share of the machine's cores during its window.
 */
export const DISTURBED_SHARE = 0.05;

/** Shares of the machine's cores over a run's window: ours, the runner's, everyone else's, stolen. */
export function machineShares(run: RunRecord, cores: number): { busy: number; measured: number; runner: number; outside: number; steal: number } | null {
  const machine = run.machine;
  if (!machine || !(machine.seconds > 0) || !(cores > 0)) return null;
  const capacity = machine.seconds * cores;
  const measuredSeconds = Object.values(run.groups).reduce((sum, group) => sum + group.cpuSeconds, 0);
  return {
    busy: machine.busySeconds / capacity,
    measured: measuredSeconds / capacity,
    runner: machine.runnerSeconds / capacity,
    // Clock ticks are read at slightly different moments, so a clean window can come out a tick below zero.
    outside: Math.max(0, machine.busySeconds - measuredSeconds - machine.runnerSeconds) / capacity,
    steal: machine.stealSeconds / capacity,
  };
}

function renderMachineSection(result: ComparisonResult): string[] {
  const cores = result.machine.cores;
  const rows = result.runs.map((run) => ({ run, shares: machineShares(run, cores) }));
  if (rows.every(({ shares }) => shares === null)) return [];
  const disturbed = rows.filter(({ shares }) => shares !== null && shares.outside + shares.steal > DISTURBED_SHARE);
  return [
    '## The machine during each run',
    '',
    `Shares of the machine's ${cores} cores over each measured window, from /proc/stat: *busy* is every process and the kernel; *measured* the process groups above; *runner* the comparison runner itself; *outside* every other process on the machine; *steal* time the hypervisor gave these cores to another guest. A run loses its share of the machine to *outside* and *steal* without a trace in its own figures. The kernel keeps the CPU time of each process and of the whole machine by different clocks, so *outside* is the difference of two figures that can disagree by a percent or two of the cores; a difference below zero shows as zero.`,
    '',
    table(
      ['round', 'target', 'window s', 'busy', 'measured', 'runner', 'outside', 'steal'],
      rows.map(({ run, shares }) => [
        String(run.round),
        run.target,
        fmt(run.machine?.seconds, 1),
        ...(shares ? [shares.busy, shares.measured, shares.runner, shares.outside, shares.steal].map(pct) : ['–', '–', '–', '–', '–']),
      ]),
      ['r', 'l'],
    ),
    '',
    disturbed.length === 0
      ? `No run lost more than ${fmt(DISTURBED_SHARE * 100, 0)}% of the cores to processes outside the comparison or to the hypervisor.`
      : `Disturbed (more than ${fmt(DISTURBED_SHARE * 100, 0)}% of the cores went to processes outside the comparison or to the hypervisor): ${disturbed
          .map(({ run, shares }) => `round ${run.round} of ${run.target} (${pct((shares?.outside ?? 0) + (shares?.steal ?? 0))})`)
          .join(', ')}. Read their figures with that in mind.`,
    '',
  ];
}

/** The CPU cost per request of each target, and what it would serve on more cores (a model, see scaling.ts). */
function renderScalingModel(summary: ComparisonSummary, cores: number): string[] {
  const models = scalingModels(summary.targets, cores);
  if (models.length === 0) return [];
  return [
    '## What the CPU figures say: a model of more cores',
    '',
    table(
      ['target', 'CPU ms/req: app', 'all but k6', 'k6', `bound here (${cores} cores, with k6)`, 'capacity', 'share of bound', ...PROJECTED_CORES.map((n) => `${n} cores`)],
      models.map((model) => [
        `**${model.target}**`,
        fmt(model.appMs, 3),
        fmt(model.serverMs, 3),
        fmt(model.k6Ms, 3),
        fmt(model.boundHere, 0),
        fmt(model.measured, 0),
        pct(model.efficiency),
        ...model.projections.map(({ rps, limit }) => `${fmt(rps, 0)}${limit === 'all cores' ? '' : ` (${limit})`}`),
      ]),
    ),
    '',
    `A model, not a measurement. It takes the median CPU each process group spent per request here and assumes CPU is the only limit. On this machine k6 shares the ${cores} cores, so a target can serve at most ${cores} × 1000 / (its CPU ms per request, k6's included), and a single Node process at most 1000 / its app's CPU ms per request, since one event loop runs on one core; *share of bound* is the capacity measured over that bound (latency targets break before the CPU is fully used). The core columns move k6 to another machine and give the target that many cores: cores × 1000 / (CPU ms per request of everything but k6), capped by one event loop for a single-process stage (a stage of replicas runs one process per core), and by one Redis thread (1000 / Redis CPU ms per request), then scaled by the same share (at most 100%: a share above it means the CPU per request at the capacity step was below its average over the ramp, which takes in the overloaded steps). It ignores what CPU figures cannot show: lock contention in the database, network hops between machines, and memory.`,
    '',
  ];
}

/** Per round: capacity (ramps), or p95 and req/s (fixed rate), one bar per target. */
export function renderComparisonSvg(result: ComparisonResult): string {
  const summary = summarize(result);
  const rounds = [...new Set(result.runs.map((run) => run.round))].sort((a, b) => a - b);
  const categories = rounds.map((round) => `round ${round}`);
  const seriesOf = (get: (run: RunRecord) => number) =>
    result.settings.targets.map((target) => ({
      name: target,
      values: rounds.map((round) => {
        const run = result.runs.find((candidate) => candidate.target === target && candidate.round === round);
        return run ? get(run) : null;
      }),
    }));
  const title = `${result.settings.scenario}, ${fmt(result.settings.participants, 0)} participants`;
  if (summary.isCapacity) {
    return barChart({
      title: `Capacity (p95 < ${CAPACITY_SLO.p95Ms} ms, < 1% errors): ${title}`,
      yLabel: 'requests per second',
      categories,
      series: seriesOf((run) => run.capacity?.rate ?? Number.NaN),
      width: 720,
    });
  }
  const p95 = seriesOf((run) => run.measured.p95Ms);
  const highest = Math.max(0, ...p95.flatMap((one) => one.values.filter((value): value is number => value !== null && Number.isFinite(value))));
  return combine([
    barChart({
      title: `p95 latency at ${fmt(result.settings.rate, 0)} req/s: ${title}`,
      yLabel: 'p95 ms',
      categories,
      series: p95,
      // The SLO line only where it is in reach: next to 2 ms bars it would flatten them.
      ...(highest >= CAPACITY_SLO.p95Ms / 5 ? { reference: { value: CAPACITY_SLO.p95Ms, label: `${CAPACITY_SLO.p95Ms} ms SLO` } } : {}),
      width: 560,
    }),
    barChart({
      title: 'App CPU per request',
      yLabel: 'CPU ms per request',
      categories,
      series: seriesOf((run) => run.groups.app?.cpuSecondsPer1kRequests ?? Number.NaN),
      width: 560,
    }),
  ]);
}
