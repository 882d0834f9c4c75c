import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAX_REPLICAS, REFERENCE_TARGETS, splitTargetName } from './args';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const stagesDir = join(repoRoot, 'stages');

export type ServiceName = 'postgres' | 'redis';
export type StoreKind = 'csv' | 'sqlite' | 'postgres';

export interface TargetSpec {
  name: string;
  kind: 'stage' | 'reference';
  /** Services the target's process needs; the comparison starts them once and shares them. */
  services: ServiceName[];
  /** Where a stage keeps its data, so the runner can load the dataset before starting it. */
  store: StoreKind | null;
  /** How many app processes a stage of replicas runs (`05-replicas:3`); its own default when absent. */
  replicas?: number;
}


interface StageManifest {
  dependencies?: Record<string, string>;
  /** `replicas.program` names the stage whose program runs in several copies behind nginx. */
  stage?: { services?: ServiceName[]; replicas?: { program: string; count: number } };
}

function readStageManifest(name: string): StageManifest | null {
  const path = join(stagesDir, name, 'package.json');
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as StageManifest) : null;
}

const STORE_PACKAGES: Array<[string, StoreKind]> = [
  ['@santa/store-postgres', 'postgres'],
  ['@santa/store-sqlite', 'sqlite'],
  ['@santa/store-csv', 'csv'],
];

/** The stages found under stages/, in ladder order: those with a program, and those made of replicas of one. */
export function stageNames(): string[] {
  return readdirSync(stagesDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .filter((name) => existsSync(join(stagesDir, name, 'src/main.ts')) || readStageManifest(name)?.stage?.replicas !== undefined)
    .sort();
}

export function knownTargets(): string[] {
  return [...stageNames(), ...REFERENCE_TARGETS];
}

export function targetSpec(name: string): TargetSpec {
  if ((REFERENCE_TARGETS as readonly string[]).includes(name)) return { name, kind: 'reference', services: [], store: null };
  const split = splitTargetName(name);
  if (split === null) throw new Error(`unknown target "${name}": a replica count is a whole number from 1 to ${MAX_REPLICAS}`);
  const manifest = readStageManifest(split.base);
  if (!manifest) throw new Error(`unknown target "${name}"`);
  if (split.replicas !== undefined && manifest.stage?.replicas === undefined) {
    throw new Error(`${split.base} is one process; only a stage of replicas takes a count (like 05-replicas:3)`);
  }
  // A stage of replicas keeps its data where the stage it replicates does.
  const program = manifest.stage?.replicas?.program;
  const dependencies = (program === undefined ? manifest : readStageManifest(program))?.dependencies ?? {};
  const store = STORE_PACKAGES.find(([pkg]) => pkg in dependencies)?.[1] ?? null;
  if (store === null) throw new Error(`stage ${name} depends on no store package the runner knows how to load`);
  return {
    name,
    kind: 'stage',
    services: manifest.stage?.services ?? [],
    store,
    ...(split.replicas === undefined ? {} : { replicas: split.replicas }),
  };
}
