import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { docFiles, repoRoot } from './files';
import { typedFigures } from './figures';
import { RESULTS_DIR } from './results';

it('no figure is typed into the prose of docs/: every one sits in a generated block', () => {
  const pages = docFiles().filter((file) => file.startsWith('docs/') && !file.startsWith(`${RESULTS_DIR}/`));
  expect(pages.length).toBeGreaterThan(5);
  const typed = pages.flatMap((file) => typedFigures(readFileSync(join(repoRoot, file), 'utf8')).map(({ line, figure, text }) => `${file}:${line}: "${figure}" in: ${text.slice(0, 120)}`));
  expect(typed).toEqual([]);
});

it('finds figures with units and spelled-out counts, and leaves stage names, statuses and code alone', () => {
  const page = [
    '# Step 2: 02-sqlite → 03-postgres',
    '',
    'It held 3,200 req/s with a p95 of 4.2 ms, 0.40× of the ceiling, on 2 cores.',
    '',
    'With ten times the data, at 1M participants.',
    '',
    'Exit status 1 means a difference; `/readyz` answers 200; `--rate 5` is code; brief 503s.',
    '',
    '<!-- generated:chart source=x.svg -->',
    '',
    'At 5 req/s inside a block.',
    '',
    '<!-- /generated -->',
  ].join('\n');
  expect(typedFigures(page).map(({ line, figure }) => [line, figure])).toEqual([
    [3, '3,200 req/s'],
    [5, 'ten times'],
  ]);
});
