import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ServiceName } from './services';

/** What a stage's package.json says about running it (its `"stage"` field). */
export interface StageManifest {
  /** Servers the runner starts before the stage: PostgreSQL, Redis. */
  services: ServiceName[];
  /**
   * A stage made of several copies of another stage's program behind nginx: the
   * stage has no program of its own. `count` is the default for `--replicas`.
   */
  replicas?: { program: string; count: number };
}

/** A stage's composition root: `stages/<stage>/src/main.ts`. */
export function programOf(stagesDir: string, stage: string): string {
  return join(stagesDir, stage, 'src/main.ts');
}

export function readManifest(stagesDir: string, stage: string): StageManifest {
  const { stage: declared } = JSON.parse(readFileSync(join(stagesDir, stage, 'package.json'), 'utf8')) as { stage?: Partial<StageManifest> };
  const manifest: StageManifest = { services: declared?.services ?? [] };
  if (declared?.replicas) manifest.replicas = declared.replicas;
  return manifest;
}

/** Every stage the runner can start: those with a program of their own, and those made of replicas of one. */
export function availableStages(stagesDir: string): string[] {
  return readdirSync(stagesDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .filter((name) => existsSync(programOf(stagesDir, name)) || (existsSync(join(stagesDir, name, 'package.json')) && readManifest(stagesDir, name).replicas !== undefined))
    .sort();
}
