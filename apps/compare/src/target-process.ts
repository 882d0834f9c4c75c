import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { onInterrupt } from './cleanup';
import { join } from 'node:path';
import type { DataKey } from './lab';
import type { TargetSpec } from './targets';
import { repoRoot } from './targets';

export interface RunningTarget {
  url: string;
  /** The process the runner spawned; the target's whole process tree hangs below it. */
  pid: number;
  /** From the spawn to the `ready` line. */
  startupSeconds: number;
  /** SIGTERM, a drain, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  spec: TargetSpec;
  /** The stage's data directory (also where PostgreSQL stages keep scratch files). */
  dataDir: string;
  /** DATABASE_URL, REDIS_URL and the like. */
  env: Record<string, string>;
  /** The dataset the ceiling generates into memory. */
  data: DataKey;
  /** The process's stderr (its request log) goes here. */
  logFile: string;
  timeoutMs?: number;
}

/** The command that starts a target, as a fresh process, exactly as a person would. */
export function commandFor(options: Pick<StartOptions, 'spec' | 'dataDir' | 'data'>): string[] {
  const { spec } = options;
  if (spec.kind === 'stage') {
    const stage = spec.name.split(':')[0] as string;
    const replicas = spec.replicas === undefined ? [] : ['--replicas', String(spec.replicas)];
    return ['--import', 'tsx', join(repoRoot, 'apps/stage-runner/src/main.ts'), stage, '--port', '0', '--data', options.dataDir, ...replicas];
  }
  if (spec.name === 'ceiling') {
    const { participants, seed, drawnRate } = options.data;
    return ['--import', 'tsx', join(repoRoot, 'apps/compare/src/ceiling.ts'), '--port', '0', '--participants', String(participants), '--seed', String(seed), '--drawn-rate', String(drawnRate)];
  }
  if (spec.name === 'bare-node') return ['--import', 'tsx', join(repoRoot, 'apps/compare/src/bare-node.ts'), '--port', '0'];
  throw new Error(`no command for target ${spec.name}`);
}

/** Starts a target and resolves when it printed `ready <url>`. */
export async function startTarget(options: StartOptions): Promise<RunningTarget> {
  const started = performance.now();
  const log = createWriteStream(options.logFile, { flags: 'a' });
  const child: ChildProcess = spawn(process.execPath, commandFor(options), {
    cwd: repoRoot,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr?.pipe(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const url = await new Promise<string>((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${options.spec.name} did not print "ready <url>" within ${(options.timeoutMs ?? 600_000) / 1000} s (log: ${options.logFile})`));
    }, options.timeoutMs ?? 600_000);
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      buffered += chunk;
      const match = /^ready (http:\/\/\S+)$/m.exec(buffered);
      if (match) {
        clearTimeout(timer);
        resolve(match[1] as string);
      }
      if (buffered.length > 100_000) buffered = buffered.slice(-1_000);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      // The log goes with the lab's directory: the error carries its end.
      log.end(() => {
        const tail = readFileSync(options.logFile, 'utf8').slice(-2_000);
        reject(new Error(`${options.spec.name} exited (${signal ?? code}) before it was ready; its last words:\n${tail}`));
      });
    });
  });
  // Keep draining stdout so the process never blocks on a full pipe.
  child.stdout?.resume();

  const running: RunningTarget = {
    url,
    pid: child.pid as number,
    startupSeconds: (performance.now() - started) / 1000,
    async stop(graceMs = 20_000) {
      forget();
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      await new Promise<void>((resolve) => log.end(() => resolve()));
    },
  };
  const forget = onInterrupt(() => running.stop(5_000));
  return running;
}
