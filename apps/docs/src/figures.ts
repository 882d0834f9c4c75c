import { fromMarkdown } from 'mdast-util-from-markdown';
import { gfmFromMarkdown } from 'mdast-util-gfm';
import { gfm } from 'micromark-extension-gfm';
import { visit } from 'unist-util-visit';
import { findBlocks } from './blocks';

/**
 * A measured figure or a setting of a run: a number with a unit or a scale (`50 ms`,
 * `1%`, `0.40×`, `3,200 req/s`, `100,000 participants`, `2 cores`, `1M`), or a count
 * spelled out before one. Stage names (`03-postgres`), HTTP statuses, exit statuses
 * and step numbers carry no unit and are not figures.
 */
const FIGURE = new RegExp(
  [
    String.raw`\d[\d,.]*\s*(?:%|×)`,
    // A bare `s` needs a space before it: `503s` are statuses, not seconds.
    String.raw`\b\d[\d,.]*\s+s\b`,
    String.raw`\b\d[\d,.]*\s*[kKM]?\s*(?:ms|req/s|rps|participants|exchanges|cores?|GiB|MiB|GB|MB|KB|seconds?|minutes?|hours?|times|rounds?|steps?|requests|rows|replicas|connections)\b`,
    String.raw`\b\d+[kM]\b`,
    String.raw`\b(?:two|three|four|five|six|seven|eight|nine|ten|twenty|hundred|thousand|million)(?:fold|\s+(?:times|cores|replicas|rounds|steps|participants|seconds|minutes))\b`,
  ].join('|'),
  'i',
);

export interface TypedFigure {
  line: number;
  figure: string;
  text: string;
}

/**
 * The figures typed into a page's prose: in its text, outside generated blocks, code
 * and inline code. The docs' figures come from results files, through generated blocks.
 */
export function typedFigures(markdown: string): TypedFigure[] {
  // Blank out the generated blocks, keeping the lines, so positions stay those of the file.
  let prose = markdown;
  for (const block of findBlocks(markdown).reverse()) {
    prose = prose.slice(0, block.start) + prose.slice(block.start, block.end).replace(/[^\n]/g, '') + prose.slice(block.end);
  }
  const found: TypedFigure[] = [];
  const tree = fromMarkdown(prose, { extensions: [gfm()], mdastExtensions: [gfmFromMarkdown()] });
  visit(tree, 'text', (node) => {
    const match = FIGURE.exec(node.value);
    if (match) found.push({ line: node.position?.start.line ?? 0, figure: match[0], text: node.value.replace(/\s+/g, ' ').trim() });
  });
  return found;
}
