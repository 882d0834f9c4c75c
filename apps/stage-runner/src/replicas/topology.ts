import { readFileSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * What a running replicated stage is made of, rewritten whenever that changes: for
 * people (which pid takes SIGHUP, where the access log is, each replica's /metrics)
 * and for tests. It is removed when the stage stops.
 */
export interface Topology {
  stage: string;
  /** The runner's pid, the process `npm run stage` started: SIGHUP to it restarts the replicas. */
  pid: number;
  /** Where clients go: nginx. */
  url: string;
  nginx: { pid: number | undefined; version: string; configFile: string; accessLog: string; errorLog: string };
  /** In upstream order; `pid` is absent while a replica is being started again. */
  replicas: { url: string; pid?: number }[];
  /** How many rolling restarts have finished since the stage started. */
  rollingRestarts: number;
}

export function topologyFile(dataDir: string): string {
  return join(dataDir, 'replicas.json');
}

export async function writeTopology(dataDir: string, topology: Topology): Promise<void> {
  const file = topologyFile(dataDir);
  // Readers never see half a file: write beside it, then rename over it.
  await writeFile(`${file}.next`, `${JSON.stringify(topology, null, 2)}\n`);
  await rename(`${file}.next`, file);
}

export function readTopology(dataDir: string): Topology {
  return JSON.parse(readFileSync(topologyFile(dataDir), 'utf8')) as Topology;
}

export async function removeTopology(dataDir: string): Promise<void> {
  await rm(topologyFile(dataDir), { force: true });
}
