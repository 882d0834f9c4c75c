import { CAPACITY_SLO } from './capacity';
import { fmt, summarize, toppedOut } from './report';
import { scalingModels } from './scaling';
import type { ComparisonResult, LadderResult } from './result';
import { median, ratio, spread } from './stats';
import { barChart, lineChart } from './svg';

/**
 * ladder.md and its charts, from ladder.json and the comparison files it names.
 * Like every report here, it prints only numbers it computes from those files.
 */

export type ComparisonFiles = ReadonlyMap<string, ComparisonResult>;

function need(files: ComparisonFiles, name: string): ComparisonResult {
  const result = files.get(name);
  if (!result) throw new Error(`ladder.json names ${name}.json, which is missing`);
  return result;
}

function x(value: number): string {
  if (!Number.isFinite(value)) return '–';
  // Two decimals, but two significant digits for ratios far below one (CSV against SQLite).
  return value !== 0 && Math.abs(value) < 0.1 ? `${Number(value.toPrecision(2))}×` : `${fmt(value, 2)}×`;
}

function table(header: string[], rows: string[][]): string {
  return [header, header.map((_, i) => (i === 0 ? '---' : '---:')), ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

/** Median capacity per target and the per-round ratio of each target to a baseline. */
export function capacityFigures(result: ComparisonResult): Array<{ target: string; capacity: number; min: number; max: number; topped: { rounds: number; of: number } }> {
  return result.settings.targets.map((target) => {
    const rates = result.runs.filter((run) => run.target === target).map((run) => run.capacity?.rate ?? Number.NaN);
    const { min, median: mid, max } = spread(rates);
    return { target, capacity: mid, min, max, topped: toppedOut(result, target) };
  });
}

/** Same-round ratios of `target`'s capacity to `baseline`'s: min, median, max. */
export function capacityRatio(result: ComparisonResult, target: string, baseline: string): { min: number; median: number; max: number } {
  const ratios = result.runs
    .filter((run) => run.target === target)
    .map((run) => {
      const base = result.runs.find((candidate) => candidate.target === baseline && candidate.round === run.round);
      return ratio(run.capacity?.rate ?? Number.NaN, base?.capacity?.rate ?? Number.NaN);
    });
  return spread(ratios);
}

export interface GrowthTable {
  sizes: number[];
  stages: string[];
  /** Median p95 per stage, one per size; NaN where the stage did not run. */
  p95: Map<string, number[]>;
  /** Seconds the dataset took to write, per stage and size; null where it was not written. */
  loads: Map<string, Array<number | null>>;
  /** The file each figure came from, per stage and size. */
  sources: Map<string, Array<string | null>>;
}

export function growthTable(ladder: LadderResult, files: ComparisonFiles): GrowthTable {
  const growth = ladder.growth;
  const table: GrowthTable = { sizes: growth?.sizes ?? [], stages: growth?.stages ?? [], p95: new Map(), loads: new Map(), sources: new Map() };
  if (!growth) return table;
  for (const stage of growth.stages) {
    table.p95.set(stage, []);
    table.loads.set(stage, []);
    table.sources.set(stage, []);
  }
  for (const size of growth.sizes) {
    const results = (growth.files[String(size)] ?? []).map((name) => need(files, name));
    for (const stage of growth.stages) {
      const result = results.find((candidate) => candidate.settings.targets.includes(stage));
      const runs = result?.runs.filter((run) => run.target === stage) ?? [];
      table.p95.get(stage)?.push(median(runs.map((run) => run.measured.p95Ms)));
      const load = result?.dataset.loads.find((one) => one.target === stage);
      table.loads.get(stage)?.push(load && load.seconds > 0 ? load.seconds : null);
      table.sources.get(stage)?.push(result?.name ?? null);
    }
  }
  return table;
}

export interface TargetCheck {
  target: string;
  figure: string;
  met: boolean | null;
  source: string;
  /**
   * Capacity targets: the same ratio of what the CPU figures allow each target on this
   * machine (see scaling.ts), so a reader sees whether a miss is the stage's or the machine's.
   */
  cpuBound?: number;
}

/** The performance targets of the issue, judged from the files; null where the figure is missing. */
export function checkTargets(ladder: LadderResult, files: ComparisonFiles): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const capacityCheck = (file: string | null, label: string, target: string, baseline: string, threshold: number) => {
    const result = file ? files.get(file) : undefined;
    const has = result?.settings.targets.includes(target) && result.settings.targets.includes(baseline);
    const r = has && result ? capacityRatio(result, target, baseline) : null;
    const bounds: string[] = [];
    if (r && result) {
      const base = toppedOut(result, baseline);
      const own = toppedOut(result, target);
      if (base.rounds > 0) bounds.push(`${baseline} held the ramp's top in ${base.rounds} of ${base.of} rounds, so this is an upper bound`);
      if (own.rounds > 0) bounds.push(`${target} held the ramp's top in ${own.rounds} of ${own.of} rounds, so this is a lower bound`);
    }
    const models = result && has ? scalingModels(summarize(result).targets, result.machine.cores) : [];
    const boundOf = (name: string) => models.find((model) => model.target === name)?.boundHere;
    const ownBound = boundOf(target);
    const baseBound = boundOf(baseline);
    checks.push({
      ...(ownBound !== undefined && baseBound !== undefined ? { cpuBound: ownBound / baseBound } : {}),
      target: `${label} ≥ ${threshold}`,
      figure: r ? `${x(r.median)} (rounds ${x(r.min)}–${x(r.max)})${bounds.length > 0 ? `; ${bounds.join('; ')}` : ''}` : 'not measured',
      met: r && Number.isFinite(r.median) ? r.median >= threshold : null,
      source: file && has ? `${file}.md` : '–',
    });
  };
  capacityCheck(ladder.capacity, 'capacity ceiling / bare-node (reveal)', 'ceiling', 'bare-node', 0.5);
  capacityCheck(ladder.capacity, 'capacity 02-sqlite / ceiling (reveal)', '02-sqlite', 'ceiling', 0.8);
  capacityCheck(ladder.capacity, 'capacity 03-postgres / ceiling (reveal)', '03-postgres', 'ceiling', 0.5);
  capacityCheck(ladder.capacityDashboard, 'capacity 04-redis-cache / 03-postgres (dashboard)', '04-redis-cache', '03-postgres', 1.5);
  capacityCheck(ladder.capacity, 'capacity 04-redis-cache / 03-postgres (reveal)', '04-redis-cache', '03-postgres', 1.0);

  const growth = growthTable(ladder, files);
  const first = growth.sizes[0];
  const last = growth.sizes[growth.sizes.length - 1];
  for (const stage of ['02-sqlite', '03-postgres', '04-redis-cache']) {
    const series = growth.p95.get(stage);
    if (!series || first === undefined || last === undefined || first === last) {
      checks.push({ target: `p95 at 1M / p95 at 1k, ${stage} ≤ 1.5`, figure: 'not measured', met: null, source: '–' });
      continue;
    }
    const r = ratio(series[series.length - 1] as number, series[0] as number);
    const sources = growth.sources.get(stage) ?? [];
    checks.push({
      target: `p95 at ${fmt(last, 0)} / p95 at ${fmt(first, 0)} participants, ${stage} ≤ 1.5`,
      figure: Number.isFinite(r) ? `${x(r)} (${fmt(series[series.length - 1], 2)} ms against ${fmt(series[0], 2)} ms)` : 'not measured',
      met: Number.isFinite(r) ? r <= 1.5 : null,
      source: Number.isFinite(r) ? `${sources[sources.length - 1]}.md, ${sources[0]}.md` : '–',
    });
  }
  const million = growth.sizes.indexOf(1_000_000);
  for (const stage of ['02-sqlite', '03-postgres']) {
    const seconds = million >= 0 ? growth.loads.get(stage)?.[million] : null;
    checks.push({
      target: `1M participants written into ${stage} < 120 s`,
      figure: seconds ? `${fmt(seconds, 1)} s` : 'not measured',
      met: seconds ? seconds < 120 : null,
      source: seconds ? `${growth.sources.get(stage)?.[million]}.md` : '–',
    });
  }
  return checks;
}

export function renderLadderMarkdown(ladder: LadderResult, files: ComparisonFiles): string {
  const lines: string[] = [];
  const { machine } = ladder;
  lines.push('# The ladder: every step measured', '');
  lines.push('<!-- Generated from ladder.json and the comparison files it names, by apps/compare (ladder-report.ts): edit the code, not this file. -->', '');
  const commands = [...new Set(ladder.parts.map((entry) => entry.command))];
  lines.push('```sh', ...(commands.length > 0 ? commands : [ladder.command]), '```', '');
  if (commands.length > 1) {
    lines.push(...ladder.parts.map((entry) => `- ${entry.part}: \`${entry.command}\`, ${entry.startedAt} to ${entry.finishedAt}`), '');
  }
  lines.push(
    `${machine.cores} cores (${machine.cpuModel}), ${fmt(machine.memoryBytes / 2 ** 30, 1)} GiB, Linux ${machine.kernel}, ${Object.entries(machine.versions).map(([name, version]) => `${name} ${version}`).join(', ')}. ` +
      `Load average ${machine.loadAverageAtStart.map((v) => fmt(v, 2)).join(' ')} at the start${machine.loadAverageAtEnd ? ` and ${machine.loadAverageAtEnd.map((v) => fmt(v, 2)).join(' ')} at the end` : ''}: ` +
      'k6, the stage and its services share the same cores, so absolute numbers drift between runs; the ratios of alternating rounds are the figures to read. ' +
      `Commit \`${ladder.git.commit.slice(0, 12)}\`${ladder.git.dirty ? ' (with uncommitted changes)' : ''}, ${ladder.startedAt} to ${ladder.finishedAt}.`,
    '',
  );

  const checks = checkTargets(ladder, files);
  lines.push('## Targets', '');
  lines.push(
    table(
      ['target', 'measured', 'verdict', 'CPU allows here', 'from'],
      checks.map((check) => [
        check.target,
        check.figure,
        check.met === null ? 'not measured' : check.met ? '**met**' : '**missed**',
        check.cpuBound === undefined ? '–' : x(check.cpuBound),
        check.source,
      ]),
    ),
    '',
    '*CPU allows here* is the ratio of the two targets\' CPU bounds on this machine: the most each could serve if nothing but CPU limited it, with k6 on the same cores (the model in each capacity report, under "What the CPU figures say"). A target missed with a bound below the threshold cannot be met on this machine by this stage as it spends CPU now: the stage must spend less CPU per request, or run where k6 does not share its cores.',
    '',
  );

  if (ladder.comparisons.length > 0) {
    lines.push('## Adjacent stages', '');
    const rows = ladder.comparisons.map((name) => {
      const result = need(files, name);
      const summary = summarize(result);
      const [a, b] = summary.targets;
      const r = summary.ratios[0];
      const dropped = summary.droppedRuns.length > 0 ? `${summary.droppedRuns.length} run(s) dropped iterations` : 'none';
      return [
        `[${result.settings.targets.join(' → ')}](${name}.md)`,
        `\`${result.settings.scenario}\``,
        fmt(result.settings.rate, 0),
        `${fmt(a?.p95Ms, 2)} → ${fmt(b?.p95Ms, 2)}`,
        r ? `${x(r.p95.median)} (${x(r.p95.min)}–${x(r.p95.max)})` : '–',
        `${fmt(a?.cpuPer1k.app, 2)} → ${fmt(b?.cpuPer1k.app, 2)}`,
        `${fmt(a?.rps, 0)} → ${fmt(b?.rps, 0)}`,
        `${fmt((a?.errorRate ?? Number.NaN) * 100, 2)}% → ${fmt((b?.errorRate ?? Number.NaN) * 100, 2)}%`,
        dropped,
      ];
    });
    lines.push(table(['pair', 'scenario', 'req/s offered', 'median p95 ms', 'p95 ratio (rounds)', 'app CPU ms/request', 'req/s served', 'errors', 'dropped'], rows), '');
  }

  for (const [file, label] of [
    [ladder.capacity, 'reveal'],
    [ladder.capacityDashboard, 'dashboard'],
  ] as const) {
    if (!file) continue;
    const result = need(files, file);
    const summary = summarize(result);
    lines.push(`## Capacity, \`${label}\``, '');
    if (label === 'reveal') lines.push('![capacity per stage](ladder-capacity.svg)', '');
    lines.push(
      `Highest arrival rate held with p95 < ${CAPACITY_SLO.p95Ms} ms and < 1% errors, on ${fmt(result.settings.participants, 0)} participants ([${file}](${file}.md)); median over ${result.settings.rounds} rounds, the range in brackets.`,
      '',
    );
    const groups = summary.groups;
    lines.push(
      table(
        ['target', 'capacity req/s', ...groups.map((group) => `CPU ${group} ms/req`)],
        capacityFigures(result).map((one) => {
          const target = summary.targets.find((candidate) => candidate.target === one.target);
          const topped = one.topped.rounds > 0 ? `; top step held in ${one.topped.rounds} of ${one.topped.of}` : '';
          return [`**${one.target}**`, `${fmt(one.capacity, 0)} (${fmt(one.min, 0)}–${fmt(one.max, 0)}${topped})`, ...groups.map((group) => fmt(target?.cpuPer1k[group], 2))];
        }),
      ),
      '',
      'CPU per request here is over the whole ramp, steps past the capacity included.',
      '',
    );
  }

  if (ladder.growth) {
    const growth = growthTable(ladder, files);
    const rates = ladder.growth.rates;
    lines.push(`## Growth: \`${ladder.growth.scenario}\` at a fixed rate as the data grows`, '');
    lines.push('![p95 against data size](ladder-growth.svg)', '');
    lines.push(
      table(
        ['stage', 'req/s', ...growth.sizes.map((size) => `${fmt(size, 0)} p95 ms`), ...growth.sizes.map((size) => `${fmt(size, 0)} load s`)],
        growth.stages.map((stage) => [
          `**${stage}**`,
          fmt(rates[stage], 0),
          ...(growth.p95.get(stage) ?? []).map((value) => fmt(value, 2)),
          ...(growth.loads.get(stage) ?? []).map((value) => (value === null ? '–' : fmt(value, 1))),
        ]),
      ),
      '',
      `Files: ${growth.sizes.flatMap((size) => (ladder.growth?.files[String(size)] ?? []).map((name) => `[${name}](${name}.md)`)).join(', ')}. Each stage keeps one rate at every size; a stage that cannot hold the common rate on the smallest dataset runs at its own lower one. Load seconds are the time to write the dataset into the stage's store through the bulk rows port.`,
      '',
    );
    if (ladder.growth.skipped.length > 0) {
      lines.push('Left out:', '', ...ladder.growth.skipped.map((skip) => `- **${skip.stage}** at ${fmt(skip.participants, 0)} participants: ${skip.reason}`), '');
    }
  }

  if (ladder.notes.length > 0) lines.push('## Notes', '', ...ladder.notes.map((note) => `- ${note}`), '');
  return `${lines.join('\n').trimEnd()}\n`;
}

export function renderLadderCapacitySvg(ladder: LadderResult, files: ComparisonFiles): string | null {
  if (!ladder.capacity) return null;
  const result = need(files, ladder.capacity);
  const figures = capacityFigures(result);
  return barChart({
    title: `Capacity, reveal, ${fmt(result.settings.participants, 0)} participants (p95 < ${CAPACITY_SLO.p95Ms} ms, < 1% errors)`,
    yLabel: 'requests per second (median of rounds)',
    categories: figures.map((one) => one.target),
    series: [{ name: 'capacity', values: figures.map((one) => one.capacity) }],
    width: 720,
  });
}

export function renderLadderGrowthSvg(ladder: LadderResult, files: ComparisonFiles): string | null {
  if (!ladder.growth) return null;
  const growth = growthTable(ladder, files);
  const rates = ladder.growth.rates;
  return lineChart({
    title: `p95 of ${ladder.growth.scenario} at a fixed rate against participants`,
    yLabel: 'median p95 ms (log)',
    xLabel: 'participants (log)',
    x: growth.sizes,
    series: growth.stages.map((stage) => ({ name: `${stage} at ${fmt(rates[stage], 0)}/s`, values: growth.p95.get(stage) ?? [] })),
    logX: true,
    logY: true,
    reference: { value: CAPACITY_SLO.p95Ms, label: `${CAPACITY_SLO.p95Ms} ms` },
    width: 720,
    height: 360,
  });
}
