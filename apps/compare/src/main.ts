/**
 * `npm run compare -- <A> [<B> ...] [options]`: the same dataset in every target, fresh processes,
 * warm-up, rounds alternating A B A B, and the JSON, Markdown and SVG under
 * docs/results/. `npm run compare -- --render <file>.json` rebuilds the Markdown and
 * the SVG from a result file. See apps/compare/README.md.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { COMPARE_USAGE, parseCompareArgs, UsageError } from './args';
import { cleanUpOnSignals } from './cleanup';
import { runComparison, writeComparison, writeRendered } from './compare';
import { k6LoadRunner, k6Versions } from './load-runner';
import type { ComparisonResult } from './result';
import { knownTargets } from './targets';

const log = (line: string) => process.stderr.write(`${line}\n`);
cleanUpOnSignals();

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${COMPARE_USAGE}\n`);
  process.exit(2);
}

const argv = process.argv.slice(2);
let command;
try {
  command = parseCompareArgs(argv, knownTargets());
} catch (error) {
  if (error instanceof UsageError) fail(error.message);
  throw error;
}

if (command.kind === 'help') {
  process.stdout.write(`${COMPARE_USAGE}\n`);
} else if (command.kind === 'render') {
  const result = JSON.parse(readFileSync(command.file, 'utf8')) as ComparisonResult;
  if (result.schema !== 'santa-compare/1') fail(`${command.file} is not a comparison result (schema ${String(result.schema)})`);
  const dir = dirname(command.file);
  const name = basename(command.file, '.json');
  writeRendered(result, { markdown: join(dir, `${name}.md`), svg: join(dir, `${name}.svg`) });
  log(`rendered ${join(dir, `${name}.md`)} and ${join(dir, `${name}.svg`)}`);
} else {
  const result = await runComparison(command.options, {
    runLoad: k6LoadRunner,
    loadVersions: await k6Versions(),
    log,
    command: `npm run compare -- ${argv.join(' ')}`,
  });
  const paths = writeComparison(result, command.options.outDir);
  log(`wrote ${paths.json}, ${paths.markdown} and ${paths.svg}`);
}
