import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServiceName } from '../services';

/** Everything the supervisor needs to know, passed to it as one JSON argument. */
export interface ReplicatedStageConfig {
  stage: string;
  /** The program every replica runs, e.g. stages/04-redis-cache/src/main.ts. */
  program: string;
  repoRoot: string;
  services: ServiceName[];
  replicas: number;
  /** Where nginx listens; port 0 picks a free one. */
  host: string;
  port: number;
  dataDir: string;
}

const supervisorProgram = join(dirname(fileURLToPath(import.meta.url)), 'supervisor.ts');

/**
 * Starts the supervisor in a process group of its own and stands in for it: signals
 * to this process reach it (SIGTERM and SIGINT stop the stage, SIGHUP restarts the
 * replicas), and this process exits with its status.
 *
 * Why a group of its own: a signal sent to the runner's whole group (Ctrl-C in a
 * terminal, a test harness stopping its process group) would otherwise reach nginx
 * and every replica at the same moment. nginx takes SIGTERM and SIGINT as "stop now"
 * and would cut the requests in flight; replicas would stop listening while nginx
 * still had requests for them. The supervisor instead stops them in order: nginx
 * first, gracefully, then the replicas, then the services. And if this process is
 * killed outright, the supervisor notices its stdin close and kills its whole group,
 * so a SIGKILL still takes down everything, as it does for the other stages.
 */
export function runReplicated(config: ReplicatedStageConfig): void {
  const supervisor = spawn(process.execPath, ['--import', 'tsx', supervisorProgram, JSON.stringify(config)], {
    cwd: config.repoRoot,
    detached: true,
    stdio: ['pipe', 'inherit', 'inherit'],
  });
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => supervisor.kill(signal));
  supervisor.on('exit', (code) => process.exit(code ?? 1));
}
