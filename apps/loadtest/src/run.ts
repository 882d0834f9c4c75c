import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { k6Binary, repoRoot } from './k6';
import { parseK6Summary, type K6Summary } from './summary';

export const SCENARIOS = ['reveal', 'dashboard', 'mixed', 'organizer', 'capacity'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/** The exit codes of k6 a caller acts on. */
export const K6_EXIT = {
  ok: 0,
  /** Some threshold failed: over the SLO (expected on the upper steps of a capacity run). */
  thresholdsFailed: 99,
  /** Stopped early by SIGINT (an aborted runScenario); the summary is still written. */
  aborted: 105,
  /** The script threw: a refused BASE_URL, a stage that is not ready, a bad token file. */
  scriptError: 107,
} as const;

export function scenarioScript(scenario: ScenarioName): string {
  return join(repoRoot, 'apps/loadtest/scenarios', `${scenario}.ts`);
}

export interface RunScenarioOptions {
  scenario: ScenarioName;
  baseUrl: string;
  /** The DatasetTokens JSON; every scenario but organizer needs one. */
  tokensFile?: string;
  /** Any other knob of the scenarios (the Knobs table of apps/loadtest/README.md): RATE, DURATION, ... */
  env?: Record<string, string | number>;
  /** Where k6 writes the full summary JSON; replaced if it exists. */
  summaryFile: string;
  /** Aborting stops k6 as Ctrl-C does: it ends the run and still writes its summary. */
  signal?: AbortSignal;
  /** k6's output as it comes. */
  onOutput?: (chunk: string, stream: 'stdout' | 'stderr') => void;
}

export interface K6RunResult {
  exitCode: number | null;
  /** Set when k6 was killed by a signal rather than exiting. */
  exitSignal: NodeJS.Signals | null;
  pid: number;
  /** User plus system CPU time of the k6 process, from /proc; null where there is no /proc. */
  cpuSeconds: number | null;
  /** Peak resident memory of the k6 process (VmHWM), from /proc; null where there is no /proc. */
  peakRssBytes: number | null;
  wallSeconds: number;
  /** Null when k6 wrote no summary (it failed before the end of its run). */
  summary: K6Summary | null;
  /** The last part of what k6 printed, for error messages. */
  outputTail: string;
}

/** How often k6's CPU time and memory are read while it runs. */
const SAMPLE_INTERVAL_MS = 100;
/** After an abort, how long k6 may take to write its summary before it is killed. */
const ABORT_GRACE_MS = 30_000;
const OUTPUT_TAIL_CHARS = 8_000;

/**
 * Runs one scenario with k6 and reads what it measured. k6 gets a clean environment
 * (PATH and HOME, the scenario's knobs, nothing else), so stray K6_* variables in the
 * caller's shell cannot change a run. Its CPU time and peak memory are sampled from
 * /proc while it runs; the CPU time therefore misses at most the last sampling
 * interval, 0.1 s, before k6 exits.
 */
export async function runScenario(options: RunScenarioOptions): Promise<K6RunResult> {
  const binary = await k6Binary();
  await rm(options.summaryFile, { force: true });
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    BASE_URL: options.baseUrl,
    SUMMARY_FILE: options.summaryFile,
  };
  if (options.tokensFile !== undefined) env.TOKENS_FILE = options.tokensFile;
  for (const [name, value] of Object.entries(options.env ?? {})) env[name] = String(value);

  const started = performance.now();
  // No REST API server (`--address ''`): nothing here reads it, and k6 runs started at
  // the same time would compete for its port.
  const child = spawn(binary, ['run', '--quiet', '--no-usage-report', '--address', '', scenarioScript(options.scenario)], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const pid = child.pid;
  if (pid === undefined) {
    const [error] = (await once(child, 'error')) as [Error];
    throw new Error(`could not start k6 (${binary}): ${error.message}`);
  }

  let outputTail = '';
  for (const stream of ['stdout', 'stderr'] as const) {
    child[stream].setEncoding('utf8');
    child[stream].on('data', (chunk: string) => {
      outputTail = (outputTail + chunk).slice(-OUTPUT_TAIL_CHARS);
      options.onOutput?.(chunk, stream);
    });
  }

  const usage = await sampleUsage(pid);
  const onAbort = () => {
    child.kill('SIGINT');
    setTimeout(() => child.kill('SIGKILL'), ABORT_GRACE_MS).unref();
  };
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const [exitCode, exitSignal] = await exited.finally(() => {
    usage.stop();
    options.signal?.removeEventListener('abort', onAbort);
  });

  return {
    exitCode,
    exitSignal,
    pid,
    cpuSeconds: usage.cpuSeconds(),
    peakRssBytes: usage.peakRssBytes(),
    wallSeconds: (performance.now() - started) / 1000,
    summary: await readSummary(options.summaryFile),
    outputTail,
  };
}

async function readSummary(path: string): Promise<K6Summary | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  return parseK6Summary(JSON.parse(text));
}

interface UsageSampler {
  stop(): void;
  cpuSeconds(): number | null;
  peakRssBytes(): number | null;
}

/** Reads /proc/<pid>/stat (utime, stime) and /proc/<pid>/status (VmHWM) every SAMPLE_INTERVAL_MS. */
async function sampleUsage(pid: number): Promise<UsageSampler> {
  const ticksPerSecond = await clockTicksPerSecond();
  let cpuTicks: number | null = null;
  let peakKib: number | null = null;
  let reading = false;
  const sample = async () => {
    if (reading) return;
    reading = true;
    try {
      const [stat, status] = await Promise.all([readFile(`/proc/${pid}/stat`, 'utf8'), readFile(`/proc/${pid}/status`, 'utf8')]);
      // The command name (field 2) may hold spaces and parentheses; the fields after it do not.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      cpuTicks = Number(fields[11]) + Number(fields[12]);
      const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(status);
      if (hwm) peakKib = Math.max(peakKib ?? 0, Number(hwm[1]));
    } catch {
      // Not Linux, or the process has just gone: the last sample stands.
    } finally {
      reading = false;
    }
  };
  await sample();
  const timer = setInterval(() => void sample(), SAMPLE_INTERVAL_MS);
  return {
    stop: () => clearInterval(timer),
    cpuSeconds: () => (cpuTicks === null ? null : cpuTicks / ticksPerSecond),
    peakRssBytes: () => (peakKib === null ? null : peakKib * 1024),
  };
}

let ticks: Promise<number> | undefined;

/** The unit of the CPU times in /proc: USER_HZ, 100 on every common Linux, asked of getconf to be sure. */
function clockTicksPerSecond(): Promise<number> {
  ticks ??= promisify(execFile)('getconf', ['CLK_TCK']).then(
    ({ stdout }) => Number(stdout.trim()) || 100,
    () => 100,
  );
  return ticks;
}
