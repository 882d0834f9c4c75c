import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { npmScript, parseWithTool, testProjects, testSuiteProject } from './commands';
import { findBlocks } from './blocks';
import { docFiles, repoRoot } from './files';
import { parseDoc, shellCommands } from './markdown';
import { Results, RESULTS_DIR } from './results';
import { RUNBOOKS, runbookCommands } from './runbooks';

const results = new Results(repoRoot);
const recorded = new Map<string, string>();
for (const file of readdirSync(join(repoRoot, RESULTS_DIR)).filter((name) => name.endsWith('.json'))) {
  for (const command of results.commandsOf(`${RESULTS_DIR}/${file}`)) recorded.set(command, `${RESULTS_DIR}/${file}`);
}
const runByTests = new Set(runbookCommands());
const projects = testProjects(repoRoot);
/** A command that runs one of the test projects is run by `npm test` itself. */
const runsTestProject = (command: string): boolean => projects.has(testSuiteProject(command) ?? '');
// The commands that record a stage's CPU profile, shown until the profile is among the results.
const profileCommands = new Set(
  docFiles()
    .flatMap((file) => findBlocks(readFileSync(join(repoRoot, file), 'utf8'), file))
    .filter((block) => block.kind === 'stage-profile')
    .map((block) => block.attributes.reproduce ?? ''),
);
const scripts = Object.keys((JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts);

const shown = docFiles()
  // The reports under docs/results are records of what ran, written by the runners; the pages are what a reader follows.
  .filter((file) => file.startsWith('docs/') && !file.startsWith(`${RESULTS_DIR}/`))
  .flatMap((file) => shellCommands(parseDoc(readFileSync(join(repoRoot, file), 'utf8'))).map((one) => ({ ...one, file })));

describe('commands in the docs', () => {
  it('every command in a shell block of docs/ is the recorded command of a results file, one the runbook test runs, a run of a test project, or a profile command of a guide', () => {
    expect(shown.length).toBeGreaterThan(10);
    const unproven = shown
      .filter(({ command }) => !recorded.has(command) && !runByTests.has(command) && !runsTestProject(command) && !profileCommands.has(command))
      .map(({ file, line, command }) => `${file}:${line}: ${command}`);
    expect(unproven).toEqual([]);
  });

  it('every recorded command the docs show parses with the real argument parser of its tool', () => {
    const refused: string[] = [];
    const recordedAndShown = shown.filter(({ command }) => recorded.has(command));
    for (const { file, line, command } of recordedAndShown) {
      try {
        parseWithTool(command);
      } catch (error) {
        refused.push(`${file}:${line}: ${command}: ${(error as Error).message}`);
      }
    }
    expect(recordedAndShown.length).toBeGreaterThan(5);
    expect(refused).toEqual([]);
  });

  it('every profile command a guide shows parses with the profiler\'s own argument parser', () => {
    expect(profileCommands.size).toBeGreaterThan(3);
    for (const command of profileCommands) expect(() => parseWithTool(command), command).not.toThrow();
  });

  it('every npm script a doc names exists', () => {
    const unknown = shown.map(({ command }) => npmScript(command)).filter((one) => one !== null && !scripts.includes(one.script));
    expect(unknown).toEqual([]);
  });

  it('the runbooks\' migrate and compare commands parse with the real parsers too', () => {
    const url = 'postgres://santa@127.0.0.1:5432/santa';
    const ours = RUNBOOKS.flatMap((book) => book.steps.map((step) => step.command))
      .map((command) => command.replaceAll('"03-postgres:$DATABASE_URL"', `03-postgres:${url}`))
      .filter((command) => /^npm run (migrate|compare) /.test(command));
    expect(ours.length).toBeGreaterThan(5);
    for (const command of ours) expect(() => parseWithTool(command), command).not.toThrow();
  });

  it('knows a run of a test project from anything else', () => {
    expect(testSuiteProject('E2E_SCREENSHOTS=docs/screenshots bash infra/toolchain/run.sh vitest run --project e2e')).toBe('e2e');
    expect(testSuiteProject('vitest run --project docs')).toBe('docs');
    expect(testSuiteProject('vitest run --project docs && rm -rf data')).toBeNull();
    expect(projects.has('docs')).toBe(true);
  });

  it('a command the parser refuses is caught', () => {
    expect(() => parseWithTool('npm run compare -- 02-sqlite 03-postgres --rounds 1')).toThrow(/rounds/);
    expect(() => parseWithTool('npm run migrate -- --from 01-csv:a')).toThrow(/--to/);
  });
});
