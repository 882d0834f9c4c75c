/**
 * `npm run docs`: rewrites every generated block of the docs from docs/results and
 * the stages' sources. `npm run docs -- --check` writes nothing and fails, listing
 * them, when a block is out of date or cites a file that is not there.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { describe, docFiles, inspectDocs, regenerate, repoRoot } from './docs';
import { Results } from './results';

const USAGE = `usage: npm run docs [-- --check]

Rewrites the generated blocks of docs/**/*.md, README.md and stages/*/README.md from
the results files under docs/results/ and the stages' sources.
  --check   write nothing; exit 1, listing them, if any block is out of date or cites a missing file`;

let values;
try {
  ({ values } = parseArgs({ args: process.argv.slice(2), options: { check: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } } }));
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
  process.exit(2);
}

if (values.help) {
  process.stdout.write(`${USAGE}\n`);
} else if (values.check) {
  const states = inspectDocs();
  const stale = states.filter((state) => !state.fresh);
  for (const state of stale) process.stderr.write(`${describe(state)}\n`);
  process.stderr.write(
    stale.length === 0
      ? `docs: all ${states.length} generated blocks are up to date\n`
      : `docs: ${stale.length} of ${states.length} generated blocks are stale; run npm run docs\n`,
  );
  process.exit(stale.length === 0 ? 0 : 1);
} else {
  // Every file that can be rendered is written, so one bad block does not hold back the rest.
  const results = new Results(repoRoot);
  let changed = 0;
  let failed = 0;
  for (const file of docFiles()) {
    const before = readFileSync(join(repoRoot, file), 'utf8');
    let after;
    try {
      after = regenerate(repoRoot, file, results);
    } catch (error) {
      process.stderr.write(`${(error as Error).message}\n`);
      failed += 1;
      continue;
    }
    if (after !== before) {
      writeFileSync(join(repoRoot, file), after);
      process.stderr.write(`docs: rewrote ${file}\n`);
      changed += 1;
    }
  }
  process.stderr.write(`docs: ${changed} file(s) rewritten${failed > 0 ? `; ${failed} file(s) left as they were, see above` : ''}\n`);
  process.exitCode = failed > 0 ? 1 : 0;
}
