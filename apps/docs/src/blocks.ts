/**
 * Generated blocks: a Markdown comment names what fills the block and from which
 * file; everything up to the closing comment is the generator's to rewrite.
 *
 *     <!-- generated:comparison source=docs/results/x.json section="Medians" -->
 *     ...
 *     <!-- /generated -->
 */

export interface Block {
  kind: string;
  attributes: Record<string, string>;
  /** The opening comment, as written. */
  opening: string;
  /** What lies between the opening and the closing comment. */
  body: string;
  /** Offsets of the whole block (opening to closing comment) in the file. */
  start: number;
  end: number;
  /** 1-based line of the opening comment. */
  line: number;
}

const CLOSING = '<!-- /generated -->';
const OPENING = /<!-- generated:([a-z][a-z-]*)((?:\s+[a-z][a-z-]*=(?:"[^"]*"|[^\s"]+))*)\s*-->/g;
const ATTRIBUTE = /([a-z][a-z-]*)=(?:"([^"]*)"|([^\s"]+))/g;

export class BlockSyntaxError extends Error {}

export function parseAttributes(text: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const match of text.matchAll(ATTRIBUTE)) attributes[match[1] as string] = match[2] ?? (match[3] as string);
  return attributes;
}

/** Every generated block of a Markdown file, in order. */
export function findBlocks(markdown: string, file = 'the file'): Block[] {
  const blocks: Block[] = [];
  for (const match of markdown.matchAll(OPENING)) {
    const start = match.index;
    const bodyStart = start + match[0].length;
    const close = markdown.indexOf(CLOSING, bodyStart);
    const line = markdown.slice(0, start).split('\n').length;
    const nextOpening = markdown.slice(bodyStart).search(/<!-- generated:/);
    if (close < 0 || (nextOpening >= 0 && bodyStart + nextOpening < close)) {
      throw new BlockSyntaxError(`${file}:${line}: generated block without its closing ${CLOSING}`);
    }
    blocks.push({
      kind: match[1] as string,
      attributes: parseAttributes(match[2] ?? ''),
      opening: match[0],
      body: markdown.slice(bodyStart, close),
      start,
      end: close + CLOSING.length,
      line,
    });
  }
  return blocks;
}

/** The block as the generator writes it around `content`. */
export function formatBlock(opening: string, content: string): string {
  return `${opening}\n\n${content.trim()}\n\n${CLOSING}`;
}

/** The file with every block's body replaced by what `render` returns for it. */
export function replaceBlocks(markdown: string, blocks: readonly Block[], rendered: readonly string[]): string {
  let out = '';
  let at = 0;
  blocks.forEach((block, index) => {
    out += markdown.slice(at, block.start) + formatBlock(block.opening, rendered[index] as string);
    at = block.end;
  });
  return out + markdown.slice(at);
}
