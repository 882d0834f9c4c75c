import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDataset, type DatasetOptions, type DatasetTokens } from '@santa/dataset';
import { postgresBinDir, runCommand, type RunningPostgres } from '@santa/services';
import { openCsvStore } from '@santa/store-csv';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const MAIN = join(repoRoot, 'apps/migrate/src/main.ts');
const STAGE_RUNNER = join(repoRoot, 'apps/stage-runner/src/main.ts');

/** Writes a generated dataset into a new 01-csv data directory. */
export async function csvDataset(dataDir: string, options: DatasetOptions): Promise<DatasetTokens> {
  const store = await openCsvStore({ dataDir });
  try {
    return (await loadDataset(store, options)).tokens;
  } finally {
    await store.close();
  }
}

/** A new, empty database on the server; returns its URL. */
export function createDatabase(server: RunningPostgres, name: string): string {
  runCommand(join(postgresBinDir(), 'createdb'), ['-h', '127.0.0.1', '-p', String(server.port), '-U', 'santa', name]);
  const url = new URL(server.url);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Runs SQL with psql, as an operator would by hand. */
export function psql(url: string, sql: string): string {
  return runCommand(join(postgresBinDir(), 'psql'), ['-d', url, '-v', 'ON_ERROR_STOP=1', '-tAc', sql]);
}

export interface CliRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  child: ChildProcess;
  /** Resolves once stderr has printed a line that matches. */
  waitForLine(pattern: RegExp): Promise<string>;
  done: Promise<CliRun>;
}

/** Starts `npm run migrate -- <args>` (the program the script runs, without the toolchain wrapper). */
export function startCli(args: string[]): CliProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    for (const line of chunk.split('\n')) {
      for (const waiter of waiters.filter(({ pattern }) => pattern.test(line))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  });
  const done = once(child, 'exit').then(([status, signal]) => ({
    status: status as number | null,
    signal: signal as NodeJS.Signals | null,
    stdout,
    stderr,
  }));
  return {
    child,
    done,
    waitForLine: (pattern) =>
      new Promise((resolveLine, rejectLine) => {
        waiters.push({ pattern, resolve: resolveLine });
        void done.then((run) => rejectLine(new Error(`the migration ended before printing ${pattern}:\n${run.stderr}`)));
      }),
  };
}

export function runCli(args: string[]): Promise<CliRun> {
  return startCli(args).done;
}

/** A stage started the way `npm run stage -- <stage> --port 0 --data <dir>` starts it. */
export interface RunningStage {
  url: string;
  stop(): Promise<void>;
}

export async function startStage(stage: string, dataDir: string, env: Record<string, string> = {}): Promise<RunningStage> {
  const child = spawn(process.execPath, ['--import', 'tsx', STAGE_RUNNER, stage, '--port', '0', '--data', dataDir], {
    cwd: repoRoot,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = once(child, 'exit');
  const url = await new Promise<string>((resolveUrl, rejectUrl) => {
    let pending = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      pending += chunk;
      const ready = /^ready (http:\/\/\S+)$/m.exec(pending);
      if (ready) resolveUrl(ready[1] as string);
    });
    void exited.then(() => rejectUrl(new Error(`stage ${stage} exited before it was ready:\n${output}`)));
  });
  return {
    url,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
