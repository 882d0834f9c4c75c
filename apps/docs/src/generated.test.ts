import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe as group, expect, it } from 'vitest';
import { findBlocks, formatBlock, replaceBlocks } from './blocks';
import { describe, inspectDocs, repoRoot } from './docs';
import { renderBlock, section } from './render';
import { Results } from './results';

const states = inspectDocs();

group('generated blocks', () => {
  it('the docs carry generated blocks', () => {
    expect(states.length).toBeGreaterThan(10);
  });

  it('every block is what `npm run docs` writes from the results as they are now', () => {
    const stale = states.filter((state) => !state.fresh).map(describe);
    expect(stale, 'stale blocks: run `npm run docs`').toEqual([]);
  });

  it('every file a block cites exists', () => {
    const missing = states.flatMap((state) => state.cites.filter((path) => !existsSync(join(repoRoot, path))).map((path) => `${state.file}:${state.block.line} cites ${path}`));
    expect(missing).toEqual([]);
  });

  it('every results block cites a file under docs/results', () => {
    const outside = states
      .filter((state) => state.block.attributes.source !== undefined && !state.block.attributes.source.startsWith('docs/results/'))
      .map((state) => `${state.file}:${state.block.line}`);
    expect(outside).toEqual([]);
  });
});

group('the check can fail', () => {
  it('a block citing a missing results file, and a block whose figures differ from its file, are both reported', () => {
    const root = mkdtempSync(join(tmpdir(), 'santa-docs-check-'));
    try {
      mkdirSync(join(root, 'docs/results'), { recursive: true });
      const source = 'docs/results/02-sqlite-vs-03-postgres-reveal-100000.json';
      copyFileSync(join(repoRoot, source), join(root, source));
      const page = [
        `<!-- generated:comparison source=${source} section=summary -->`,
        'At 200 req/s, a figure typed by hand.',
        '<!-- /generated -->',
        '<!-- generated:comparison source=docs/results/no-such-run.json section=summary -->',
        '<!-- /generated -->',
      ].join('\n');
      writeFileSync(join(root, 'docs/page.md'), page);
      const [edited, missing] = inspectDocs(root, ['docs/page.md']);
      expect(edited).toMatchObject({ fresh: false });
      expect(edited?.expected).toEqual(expect.any(String));
      expect(missing).toMatchObject({ fresh: false, cites: ['docs/results/no-such-run.json'] });
      expect(String(missing?.expected)).toMatch(/no-such-run\.json does not exist/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

group('the block format', () => {
  const doc = ['# t', '<!-- generated:chart source="docs/results/a b.svg" alt=x -->', 'old', '<!-- /generated -->', 'tail'].join('\n');

  it('reads the kind and attributes, quoted or not, and replaces only the body', () => {
    const block = findBlocks(doc)[0];
    if (!block) throw new Error('no block found');
    expect(block).toMatchObject({ kind: 'chart', attributes: { source: 'docs/results/a b.svg', alt: 'x' }, line: 2 });
    expect(replaceBlocks(doc, [block], ['new'])).toBe(['# t', formatBlock(block.opening, 'new'), 'tail'].join('\n'));
  });

  it('a series block that matches no comparison fails instead of rendering nothing', () => {
    const series = findBlocks('<!-- generated:comparisons prefix=no-such-series -->\n<!-- /generated -->')[0];
    if (!series) throw new Error('no block found');
    expect(() => renderBlock(series, { results: new Results(repoRoot), file: 'docs/README.md' })).toThrow(/no comparison .* no-such-series/);
  });

  it('refuses a block without its closing comment', () => {
    expect(() => findBlocks('<!-- generated:chart source=x -->\nno end')).toThrow(/without its closing/);
  });

  it('names the sections a report has when a block asks for one it lacks', () => {
    expect(() => section('intro\n\n## Medians\n| a |\n## Notes\n- n', 'Capacity')).toThrow(/"Medians", "Notes"/);
    expect(section('# T\n\nThe summary.\n\n## Medians\n| a |\n## Notes\n- n', 'Medians')).toBe('| a |');
    expect(section('# T\n\n<!-- c -->\n\nThe summary.\n\n## Medians', 'summary')).toBe('The summary.');
  });
});
