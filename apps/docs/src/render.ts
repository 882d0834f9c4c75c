import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, posix } from 'node:path';
import { renderComparisonMarkdown, renderLadderMarkdown, renderProfileMarkdown } from '@santa/compare';
import { renderMarkdown as renderMigrationMarkdown } from '@santa/migrate';
import type { Block } from './blocks';
import { MissingResultError, Results, RESULTS_DIR } from './results';
import { renderInterface } from './port-doc';
import { BOUNDARIES_FILE, renderBoundaryGraph, renderBoundaryTable } from './projects';
import { renderRunbook, runbook } from './runbooks';

/** A block that cannot be rendered as written: an unknown kind, a missing attribute or section. */
export class BlockError extends Error {}

export interface RenderContext {
  results: Results;
  /** The Markdown file the block is in, relative to the repository's root. */
  file: string;
}

function attribute(block: Block, name: string): string {
  const value = block.attributes[name];
  if (value === undefined) throw new BlockError(`a ${block.kind} block needs ${name}=`);
  return value;
}

/** The files a block cites, relative to the repository's root. */
export function citedFiles(block: Block, results: Results): string[] {
  if (block.kind === 'interface') return [block.attributes.file ?? ''];
  if (block.kind === 'dependency-rules' || block.kind === 'dependency-graph') return [BOUNDARIES_FILE];
  if (block.kind === 'comparisons') return comparisonsOf(block, results);
  if (block.kind === 'results-index') return results.all();
  if (block.kind === 'stage-profile') {
    const found = results.profileOf(block.attributes.target ?? '', block.attributes.scenario ?? 'reveal');
    return found === null ? [] : [found];
  }
  const source = block.attributes.source;
  return source === undefined ? [] : [source];
}

/**
 * Every comparison whose file name starts with `prefix`, each as a link to its report
 * and its summary: new runs of a series (one more replica, say) appear on the next
 * `npm run docs` without a change to the page.
 */
/** The comparisons a series block names: by `prefix` of the file name, or those `involving` every listed target. */
function comparisonsOf(block: Block, results: Results): string[] {
  if (block.attributes.involving !== undefined) return results.comparisonsInvolving(block.attributes.involving.split(','));
  return results.comparisonsNamed(block.attributes.prefix ?? '');
}

function renderComparisons(block: Block, context: RenderContext): string {
  const { results, file } = context;
  const found = comparisonsOf(block, results);
  if (found.length === 0) {
    const wanted = block.attributes.involving !== undefined ? `involves ${block.attributes.involving}` : `is named ${attribute(block, 'prefix')}*`;
    throw new MissingResultError(`no comparison under ${RESULTS_DIR} ${wanted}`);
  }
  return found
    .map((source) => {
      const summary = rebaseLinks(section(renderComparisonMarkdown(results.comparison(source)), 'summary'), posix.dirname(source), file);
      const report = source.replace(/\.json$/, '.md');
      return `- [${posix.basename(source, '.json')}](${linkTo(file, results.exists(report) ? report : source)}): ${summary.replace(/\s*\n\s*/g, ' ')}`;
    })
    .join('\n');
}

const KINDS: Record<string, string> = {
  'santa-compare/1': 'comparison',
  'santa-ladder/1': 'ladder',
  'santa-profile/1': 'CPU profile',
};

/** The ladder part that produced each file a ladder.json names, with that part's command. */
function ladderParts(results: Results): Map<string, string> {
  const byFile = new Map<string, string>();
  const source = `${RESULTS_DIR}/ladder.json`;
  if (!results.exists(source)) return byFile;
  const ladder = results.ladder(source);
  const commandOf = (part: string): string | undefined => ladder.parts.find((one) => one.part === part)?.command;
  const add = (name: string | null, part: string): void => {
    const command = commandOf(part);
    if (name !== null && command !== undefined) byFile.set(`${RESULTS_DIR}/${name}.json`, command);
  };
  for (const name of ladder.comparisons) add(name, 'pairs');
  add(ladder.capacity, 'capacity');
  add(ladder.capacityDashboard, 'capacity');
  for (const names of Object.values(ladder.growth?.files ?? {})) for (const name of names) add(name, 'growth');
  return byFile;
}

/** Every results file, what it is, the command it records, and the ladder run it was part of: how to reproduce each. */
function renderResultsIndex(context: RenderContext): string {
  const { results, file } = context;
  const parts = ladderParts(results);
  const rows = results.all().map((source) => {
    const value = results.json(source) as { schema?: string };
    const kind = value.schema !== undefined ? (KINDS[value.schema] ?? value.schema) : 'data migration';
    const report = source.replace(/\.json$/, '.md');
    const commands = results.commandsOf(source).map((command) => `\`${command}\``);
    const part = parts.get(source);
    return `| [${posix.basename(source)}](${linkTo(file, results.exists(report) ? report : source)}) | ${kind} | ${commands.length > 0 ? commands.join('<br>') : '–'} | ${part === undefined ? '–' : `\`${part}\``} |`;
  });
  return ['| results file | what | its command | part of the ladder run |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** The first `rows` rows of a Markdown table (its header kept). */
function firstRows(table: string, rows: number): string {
  const lines = table.split('\n').filter((line) => line.startsWith('|'));
  return lines.slice(0, 2 + rows).join('\n');
}

/**
 * Where a target's CPU goes under load, from its profile in docs/results if one has
 * been recorded; otherwise the command that records it. Re-running `npm run docs`
 * after the profile lands fills the block.
 */
function renderStageProfile(block: Block, context: RenderContext): string {
  const { results, file } = context;
  const target = attribute(block, 'target');
  const scenario = block.attributes.scenario ?? 'reveal';
  const reproduce = attribute(block, 'reproduce');
  const rows = Number(block.attributes.rows ?? '10');
  const source = results.profileOf(target, scenario);
  if (source === null) {
    return [
      `No CPU profile of **${target}** under \`${scenario}\` is among the results yet. This command records one`,
      `(\`docs/results/profile-${target}-${scenario}-<participants>.json\` and its report), and \`npm run docs\` then shows its top frames here:`,
      '',
      fenced('sh', reproduce),
    ].join('\n');
  }
  const report = renderProfileMarkdown(results.profile(source));
  const markdownFile = source.replace(/\.json$/, '.md');
  const reportLink = linkTo(file, results.exists(markdownFile) ? markdownFile : source);
  return [
    section(report, 'summary'),
    '',
    `Where the busy time goes, by part of the program ([the full report](${reportLink})):`,
    '',
    firstRows(section(report, 'Where the busy time goes'), rows),
    '',
    'The functions with the most CPU time of their own:',
    '',
    firstRows(section(report, 'The top'), rows),
    '',
    'Recorded with:',
    '',
    fenced('sh', results.commandsOf(source).join('\n')),
  ].join('\n');
}

/**
 * One `## ` section of a rendered report, without its heading; `summary` is the
 * report's first paragraph of prose. A heading matches exactly or by its beginning
 * ("The top" matches "The top 25 functions by self time").
 */
export function section(markdown: string, name: string): string {
  const lines = markdown.split('\n');
  if (name.startsWith('bullet:')) {
    // One bullet of the report's preamble, e.g. bullet:Machine for "- **Machine:** ...".
    const label = name.slice('bullet:'.length);
    const bullet = lines.find((line) => line.startsWith(`- **${label}:**`) || line.startsWith(`${label}:`));
    if (!bullet) throw new BlockError(`the report has no "${label}" line`);
    return bullet.trim();
  }
  if (name === 'summary') {
    const firstHeading = lines.findIndex((line) => line.startsWith('## '));
    const preamble = lines.slice(0, firstHeading < 0 ? lines.length : firstHeading).join('\n');
    // The first paragraph of prose: not the title, a comment, an image, a code fence or a list.
    const paragraph = preamble.split(/\n\s*\n/).find((text) => text.trim() !== '' && !/^(#|<!--|!\[|```|- )/.test(text.trim()));
    if (!paragraph) throw new BlockError('the report has no summary paragraph');
    return paragraph.trim();
  }
  const headings = lines.map((line, index) => ({ line, index })).filter(({ line }) => line.startsWith('## '));
  const found = headings.find(({ line }) => line.slice(3) === name) ?? headings.find(({ line }) => line.slice(3).startsWith(name));
  if (!found) throw new BlockError(`the report has no section "${name}"; it has ${headings.map(({ line }) => `"${line.slice(3)}"`).join(', ')}`);
  const next = headings.find(({ index }) => index > found.index);
  return lines.slice(found.index + 1, next ? next.index : lines.length).join('\n').trim();
}

/** Links in a report are relative to the report's directory; in the doc they must be relative to the doc's. */
export function rebaseLinks(markdown: string, fromDir: string, file: string): string {
  return markdown.replace(/\]\(([^)\s]+)\)/g, (whole, target: string) => {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#') || target.startsWith('/')) return whole;
    return `](${posix.relative(posix.dirname(file), posix.join(fromDir, target)) || '.'})`;
  });
}

function linkTo(file: string, target: string): string {
  return posix.relative(posix.dirname(file), target);
}

function fenced(language: string, text: string): string {
  const fence = text.includes('```') ? '````' : '```';
  return `${fence}${language}\n${text.trimEnd()}\n${fence}`;
}

/** `git diff --no-index` of one file of two stages: the actual difference, as git shows it. */
export function stageDiff(repoRoot: string, from: string, to: string, file: string): string {
  const a = posix.join('stages', from, file);
  const b = posix.join('stages', to, file);
  for (const path of [a, b]) if (!existsSync(join(repoRoot, path))) throw new MissingResultError(`${path} does not exist`);
  const diff = spawnSync('git', ['diff', '--no-index', '--no-color', '--no-ext-diff', '--unified=200', '--', a, b], { cwd: repoRoot, encoding: 'utf8' });
  if (diff.status !== 0 && diff.status !== 1) throw new Error(`git diff failed: ${diff.stderr}`);
  // The header's blob ids and modes say nothing to a reader; the ---/+++ lines name the files.
  return diff.stdout
    .split('\n')
    .filter((line) => !/^(diff --git|index |similarity |new file mode|deleted file mode|old mode|new mode)/.test(line))
    .join('\n');
}

export function renderBlock(block: Block, context: RenderContext): string {
  const { results, file } = context;
  switch (block.kind) {
    case 'comparison': {
      const source = attribute(block, 'source');
      const report = renderComparisonMarkdown(results.comparison(source));
      return rebaseLinks(section(report, attribute(block, 'section')), posix.dirname(source), file);
    }
    case 'ladder': {
      const source = attribute(block, 'source');
      const report = renderLadderMarkdown(results.ladder(source), results.comparisonsBeside(posix.dirname(source)));
      return rebaseLinks(section(report, attribute(block, 'section')), posix.dirname(source), file);
    }
    case 'migration': {
      const source = attribute(block, 'source');
      const report = renderMigrationMarkdown(results.migration(source));
      return rebaseLinks(section(report, attribute(block, 'section')), posix.dirname(source), file);
    }
    case 'profile': {
      const source = attribute(block, 'source');
      const report = renderProfileMarkdown(results.profile(source));
      return rebaseLinks(section(report, attribute(block, 'section')), posix.dirname(source), file);
    }
    case 'command': {
      // The command that produced the file, as the file records it.
      const source = attribute(block, 'source');
      return fenced('sh', results.commandsOf(source).join('\n'));
    }
    case 'chart': {
      const source = attribute(block, 'source');
      if (!results.exists(source)) throw new MissingResultError(`${source} does not exist`);
      return `![${attribute(block, 'alt')}](${linkTo(file, source)})`;
    }
    case 'report-link': {
      // A link to a results file's rendered report, with the report's own title.
      const source = attribute(block, 'source');
      if (!results.exists(source)) throw new MissingResultError(`${source} does not exist`);
      const markdown = source.replace(/\.json$/, '.md');
      return `[${attribute(block, 'text')}](${linkTo(file, results.exists(markdown) ? markdown : source)})`;
    }
    case 'stage-diff': {
      const from = attribute(block, 'from');
      const to = attribute(block, 'to');
      return fenced('diff', stageDiff(results.repoRoot, from, to, attribute(block, 'file')));
    }
    case 'comparisons':
      return renderComparisons(block, context);
    case 'interface':
      return renderInterface(results.repoRoot, attribute(block, 'file'), attribute(block, 'name'));
    case 'dependency-rules':
      return renderBoundaryTable(results.repoRoot, `${posix.relative(posix.dirname(file), '.') || '.'}/`);
    case 'dependency-graph':
      return renderBoundaryGraph(results.repoRoot);
    case 'results-index':
      return renderResultsIndex(context);
    case 'stage-profile':
      return renderStageProfile(block, context);
    case 'runbook':
      return renderRunbook(runbook(attribute(block, 'name')));
    default:
      throw new BlockError(`unknown kind of generated block "${block.kind}"`);
  }
}

/** Files the `stage-diff` blocks read, which must exist like any cited result. */
export function stageFiles(block: Block): string[] {
  if (block.kind !== 'stage-diff') return [];
  const file = block.attributes.file ?? '';
  return [block.attributes.from, block.attributes.to].map((stage) => posix.join('stages', stage ?? '', file));
}
