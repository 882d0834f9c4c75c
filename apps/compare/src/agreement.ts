/**
 * `npm run agreement -- <first>.json <second>.json`: whether two runs of the same
 * comparison agree, ratio by ratio: each run's median lies within the other's spread
 * over rounds. Writes `<second>-agreement.md` beside the second file and exits 1 when
 * they disagree. The Markdown is computed from the two JSON files alone.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fmt, summarize } from './report';
import type { ComparisonResult } from './result';
import type { Spread } from './stats';

export interface RatioAgreement {
  target: string;
  baseline: string;
  measure: 'capacity' | 'req/s' | 'p95' | 'app CPU per request';
  first: Spread;
  second: Spread;
  /** Each run's median lies within the other run's min–max over rounds. */
  agree: boolean;
}

/** The settings that must match for two runs to be the same comparison. */
function sameComparison(first: ComparisonResult, second: ComparisonResult): string | null {
  const pick = ({ settings }: ComparisonResult) => {
    const { targets, scenario, participants, rate, ramp, duration, warmup, seed } = settings;
    return JSON.stringify({ targets, scenario, participants, rate, ramp, duration, warmup, seed });
  };
  return pick(first) === pick(second) ? null : `the runs differ in their settings:\n  ${pick(first)}\n  ${pick(second)}`;
}

/**
 * Spreads are widened by this share: a fixed-rate run's req/s ratio is 1.00× in every
 * round, give or take a request, so a spread of zero width would call 0.999× and 1.001× a disagreement.
 */
export const RESOLUTION = 0.01;

export function compareRuns(first: ComparisonResult, second: ComparisonResult): RatioAgreement[] {
  const mismatch = sameComparison(first, second);
  if (mismatch) throw new Error(mismatch);
  const a = summarize(first);
  const b = summarize(second);
  const within = (value: number, range: Spread) => value >= range.min * (1 - RESOLUTION) && value <= range.max * (1 + RESOLUTION);
  return a.ratios.flatMap((ratioA) => {
    const ratioB = b.ratios.find((candidate) => candidate.target === ratioA.target && candidate.baseline === ratioA.baseline);
    if (!ratioB) return [];
    const pairs: Array<[RatioAgreement['measure'], Spread | null, Spread | null]> = [
      ['capacity', ratioA.capacity, ratioB.capacity],
      ['req/s', ratioA.rps, ratioB.rps],
      ['p95', ratioA.p95, ratioB.p95],
      ['app CPU per request', ratioA.appCpuPer1k, ratioB.appCpuPer1k],
    ];
    return pairs.flatMap(([measure, one, two]) =>
      one && two && Number.isFinite(one.median) && Number.isFinite(two.median)
        ? [{ target: ratioA.target, baseline: ratioA.baseline, measure, first: one, second: two, agree: within(one.median, two) && within(two.median, one) }]
        : [],
    );
  });
}

const x = (spread: Spread) => `${fmt(spread.median, 2)}× (${fmt(spread.min, 2)}×–${fmt(spread.max, 2)}×)`;

export function renderAgreementMarkdown(first: ComparisonResult, second: ComparisonResult, agreements: readonly RatioAgreement[]): string {
  const disagreeing = agreements.filter((one) => !one.agree);
  return [
    `# Do two runs agree? ${first.settings.targets.join(' vs ')}, \`${first.settings.scenario}\``,
    '',
    `<!-- Generated from ${first.name}.json and ${second.name}.json by apps/compare (agreement.ts): edit the code, not this file. -->`,
    '',
    `The same comparison run twice: [${first.name}](${first.name}.md) (${first.startedAt}) and [${second.name}](${second.name}.md) (${second.startedAt}). ` +
      `Two runs agree on a ratio when each run's median lies within the other run's spread over its rounds (min to max, widened by ${RESOLUTION * 100}% either way). ` +
      (disagreeing.length === 0
        ? `They agree on all ${agreements.length} ratios.`
        : `They disagree on ${disagreeing.length} of ${agreements.length}: ${disagreeing.map((one) => `${one.measure} of ${one.target} over ${one.baseline}`).join(', ')}.`),
    '',
    '```sh',
    first.command,
    second.command,
    '```',
    '',
    '| ratio | first run: median (rounds) | second run: median (rounds) | agree |',
    '| --- | ---: | ---: | --- |',
    ...agreements.map((one) => `| ${one.measure}, ${one.target} / ${one.baseline} | ${x(one.first)} | ${x(one.second)} | ${one.agree ? 'yes' : '**no**'} |`),
    '',
  ].join('\n');
}

function main(argv: readonly string[]): number {
  if (argv.length !== 2 || argv.some((arg) => !arg.endsWith('.json'))) {
    process.stderr.write('usage: npm run agreement -- <first>.json <second>.json\n');
    return 2;
  }
  const [first, second] = argv.map((file) => JSON.parse(readFileSync(file, 'utf8')) as ComparisonResult) as [ComparisonResult, ComparisonResult];
  const agreements = compareRuns(first, second);
  const secondFile = argv[1] as string;
  const out = join(dirname(secondFile), `${basename(secondFile, '.json')}-agreement.md`);
  writeFileSync(out, renderAgreementMarkdown(first, second, agreements));
  const disagreeing = agreements.filter((one) => !one.agree).length;
  process.stdout.write(`${agreements.length - disagreeing} of ${agreements.length} ratios agree; wrote ${out}\n`);
  return disagreeing === 0 ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = main(process.argv.slice(2));
