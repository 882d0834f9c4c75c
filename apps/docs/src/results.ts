import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { ComparisonFiles, ComparisonResult, LadderResult, ProfileResult } from '@santa/compare';
import type { BenchmarkResults } from '@santa/migrate';

/** A results file a block cites that is not there, or not what the block expects. */
export class MissingResultError extends Error {}

export const RESULTS_DIR = 'docs/results';

/** Reads and parses the JSON results files of one repository, each once. */
export class Results {
  private readonly cache = new Map<string, unknown>();

  constructor(readonly repoRoot: string) {}

  exists(path: string): boolean {
    return existsSync(join(this.repoRoot, path));
  }

  json(path: string): unknown {
    if (!this.cache.has(path)) {
      if (!this.exists(path)) throw new MissingResultError(`${path} does not exist`);
      this.cache.set(path, JSON.parse(readFileSync(join(this.repoRoot, path), 'utf8')));
    }
    return this.cache.get(path);
  }

  comparison(path: string): ComparisonResult {
    return this.expect<ComparisonResult>(path, (value) => value.schema === 'santa-compare/1', 'a comparison result (santa-compare/1)');
  }

  ladder(path: string): LadderResult {
    return this.expect<LadderResult>(path, (value) => value.schema === 'santa-ladder/1', 'a ladder result (santa-ladder/1)');
  }

  profile(path: string): ProfileResult {
    return this.expect<ProfileResult>(path, (value) => value.schema === 'santa-profile/1', 'a CPU profile result (santa-profile/1)');
  }

  migration(path: string): BenchmarkResults {
    return this.expect<BenchmarkResults>(path, (value) => Array.isArray(value.runs) && typeof value.generatedAt === 'string', 'a migration benchmark result');
  }

  /** Every comparison result beside a ladder file, by name, as the ladder report reads them. */
  comparisonsBeside(dir: string): ComparisonFiles {
    const files = new Map<string, ComparisonResult>();
    for (const file of readdirSync(join(this.repoRoot, dir)).filter((name) => name.endsWith('.json')).sort()) {
      const value = this.json(join(dir, file)) as { schema?: unknown };
      if (value.schema === 'santa-compare/1') files.set(basename(file, '.json'), value as ComparisonResult);
    }
    return files;
  }

  /** Every JSON results file, by path, sorted. */
  all(): string[] {
    return readdirSync(join(this.repoRoot, RESULTS_DIR))
      .filter((file) => file.endsWith('.json'))
      .sort()
      .map((file) => `${RESULTS_DIR}/${file}`);
  }

  /** The comparison results whose file name starts with `prefix`, by path, sorted. */
  comparisonsNamed(prefix: string): string[] {
    return this.all().filter((path) => basename(path).startsWith(prefix) && (this.json(path) as { schema?: unknown }).schema === 'santa-compare/1');
  }

  /**
   * The comparison results whose targets include each of `targets`, by path, sorted; a
   * stage of replicas matches with any count (`05-replicas` matches `05-replicas:3`).
   */
  comparisonsInvolving(targets: readonly string[]): string[] {
    return this.all().filter((path) => {
      const value = this.json(path) as { schema?: unknown; settings?: { targets?: string[] } };
      if (value.schema !== 'santa-compare/1') return false;
      const stages = (value.settings?.targets ?? []).map((target) => target.split(':')[0]);
      return targets.every((target) => stages.includes(target));
    });
  }

  /**
   * The CPU profile of a target under a scenario, if one has been recorded: the file
   * `profile-<target>-<scenario>-<participants>.json` with the most participants.
   */
  profileOf(target: string, scenario: string): string | null {
    const name = new RegExp(`^profile-${target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-${scenario}-(\\d+)\\.json$`);
    const found = readdirSync(join(this.repoRoot, RESULTS_DIR))
      .map((file) => ({ file, participants: Number(name.exec(file)?.[1] ?? NaN) }))
      .filter(({ participants }) => Number.isFinite(participants))
      .sort((a, b) => b.participants - a.participants)[0];
    return found ? `${RESULTS_DIR}/${found.file}` : null;
  }

  /** The commands recorded in a results file: the ones that produced it. */
  commandsOf(path: string): string[] {
    const value = this.json(path) as { command?: unknown; parts?: Array<{ command: string }> };
    const commands = typeof value.command === 'string' ? [value.command] : [];
    for (const part of value.parts ?? []) commands.push(part.command);
    return [...new Set(commands)];
  }

  private expect<T>(path: string, test: (value: Record<string, unknown>) => boolean, what: string): T {
    const value = this.json(path) as Record<string, unknown>;
    if (!test(value)) throw new MissingResultError(`${path} is not ${what}`);
    return value as T;
  }
}
