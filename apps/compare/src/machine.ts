import { execFileSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem } from 'node:os';
import type { MachineInfo } from './result';
import { repoRoot } from './targets';

function tryRun(command: string, args: string[]): string | null {
  try {
    return execFileSync(command, args, { encoding: 'utf8', cwd: repoRoot, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

export function machineInfo(versions: Record<string, string>): MachineInfo {
  const cores = cpus();
  return {
    cores: cores.length,
    cpuModel: cores[0]?.model.trim() ?? 'unknown',
    memoryBytes: totalmem(),
    kernel: release(),
    loadAverageAtStart: loadavg().map((value) => Math.round(value * 100) / 100),
    versions: { node: process.version, ...versions },
  };
}

export function loadAverage(): number[] {
  return loadavg().map((value) => Math.round(value * 100) / 100);
}

/** The commit, and whether tracked files differ from it. */
export function gitState(): { commit: string; dirty: boolean } {
  const commit = tryRun('git', ['rev-parse', 'HEAD']) ?? 'unknown';
  const status = tryRun('git', ['status', '--porcelain', '--untracked-files=no']);
  return { commit, dirty: status === null ? true : status.length > 0 };
}

export function isoNow(): string {
  return new Date().toISOString();
}
