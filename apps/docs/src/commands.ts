import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HELP as MIGRATE_USAGE, parseCommand } from '@santa/migrate';
import { COMPARE_USAGE, knownTargets, LADDER_USAGE, parseCompareArgs, parseLadderArgs, parseProfileArgs } from '@santa/compare';

/** The npm script a command runs and the arguments after `--`, or null for anything else. */
export function npmScript(command: string): { script: string; argv: string[] } | null {
  const match = /^npm run ([\w:-]+)(?: -- (.*))?$/.exec(command.trim());
  if (!match) return null;
  return { script: match[1] as string, argv: (match[2] ?? '').split(/\s+/).filter(Boolean) };
}

/**
 * Parses a command with the real parser of the tool it runs, as the tool would;
 * throws the tool's own usage error when the tool would refuse it. Returns the
 * tool's usage text when the command asks for help.
 */
export function parseWithTool(command: string): string {
  const parsed = npmScript(command);
  if (!parsed) throw new Error(`not an npm run command: ${command}`);
  const { script, argv } = parsed;
  switch (script) {
    case 'compare':
      return parseCompareArgs(argv, knownTargets()).kind === 'help' ? COMPARE_USAGE : 'compare';
    case 'ladder':
      return parseLadderArgs(argv).kind === 'help' ? LADDER_USAGE : 'ladder';
    case 'profile':
      return parseProfileArgs(argv, knownTargets()) === 'help' ? 'profile help' : 'profile';
    case 'migrate':
      return parseCommand(argv).kind === 'help' ? MIGRATE_USAGE : 'migrate';
    default:
      throw new Error(`no parser known for npm run ${script}`);
  }
}

/** The names of the workspace's vitest projects, from their vitest.config.ts files. */
export function testProjects(root: string): Set<string> {
  const names = new Set<string>();
  for (const dir of ['libs', 'apps', 'infra']) {
    for (const entry of readdirSync(join(root, dir))) {
      const config = join(root, dir, entry, 'vitest.config.ts');
      if (!existsSync(config)) continue;
      const name = /name:\s*'([^']+)'/.exec(readFileSync(config, 'utf8'));
      if (name) names.add(name[1] as string);
    }
  }
  return names;
}

/**
 * The project of a command that runs one of the workspace's test projects (as
 * `npm test` does, with environment variables and the toolchain wrapper allowed in
 * front), or null for any other command.
 */
export function testSuiteProject(command: string): string | null {
  const bare = command
    .trim()
    .replace(/^(?:[A-Z_][A-Z0-9_]*=\S*\s+)+/, '')
    .replace(/^bash infra\/toolchain\/run\.sh\s+/, '');
  return /^(?:npx )?vitest run --project ([\w-]+)$/.exec(bare)?.[1] ?? null;
}
