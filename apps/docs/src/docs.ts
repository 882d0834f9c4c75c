import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findBlocks, formatBlock, replaceBlocks, type Block } from './blocks';
import { citedFiles, renderBlock, stageFiles } from './render';
import { docFiles, repoRoot } from './files';
import { Results } from './results';

export { docFiles, repoRoot };

export interface BlockState {
  file: string;
  block: Block;
  /** The block as the generator would write it now, or the reason it cannot. */
  expected: string | Error;
  fresh: boolean;
  cites: string[];
}

/** Every generated block of every doc, rendered from the results as they are now. */
export function inspectDocs(root = repoRoot, files = docFiles(root)): BlockState[] {
  const results = new Results(root);
  return files.flatMap((file) => {
    const markdown = readFileSync(join(root, file), 'utf8');
    return findBlocks(markdown, file).map((block): BlockState => {
      let expected: string | Error;
      try {
        expected = formatBlock(block.opening, renderBlock(block, { results, file }));
      } catch (error) {
        expected = error as Error;
      }
      const actual = markdown.slice(block.start, block.end);
      return { file, block, expected, fresh: typeof expected === 'string' && expected === actual, cites: [...citedFiles(block, results), ...stageFiles(block)] };
    });
  });
}

/** The file with every block rendered afresh; throws, naming the file and line, when a block cannot be. */
export function regenerate(root: string, file: string, results = new Results(root)): string {
  const markdown = readFileSync(join(root, file), 'utf8');
  const blocks = findBlocks(markdown, file);
  const rendered = blocks.map((block) => {
    try {
      return renderBlock(block, { results, file });
    } catch (error) {
      throw new Error(`${file}:${block.line}: generated:${block.kind}: ${(error as Error).message}`, { cause: error });
    }
  });
  return replaceBlocks(markdown, blocks, rendered);
}

export function describe(state: BlockState): string {
  const what = `${state.file}:${state.block.line} generated:${state.block.kind}${state.block.attributes.source ? ` (${state.block.attributes.source})` : ''}`;
  return state.expected instanceof Error ? `${what}: ${state.expected.message}` : `${what}: out of date`;
}
