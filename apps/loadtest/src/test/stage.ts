/**
 * A stage started as people start it, `npm run stage -- <stage> --port 0 --data <dir>`,
 * in a process group of its own (npm, the stage runner, the stage, its PostgreSQL and
 * Redis), so one signal reaches all of it. Any group still alive when the test process
 * exits is killed.
 */
import { spawn } from 'node:child_process';
import { repoRoot } from '../k6';

const READY_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 30_000;
const OUTPUT_TAIL_CHARS = 4_000;

const liveGroups = new Set<number>();
process.once('exit', () => {
  for (const group of liveGroups) signalGroup(group, 'SIGKILL');
});

export interface RunningStage {
  url: string;
  /** SIGTERM to the group, SIGKILL if it has not drained in time; resolves once all of it is gone. */
  stop(): Promise<void>;
}

export async function startStage(stage: string, dataDir: string): Promise<RunningStage> {
  const env = { ...process.env };
  // The stage runs as it runs for a user, not inside the test runner's environment.
  for (const name of Object.keys(env)) if (name.startsWith('VITEST') || name === 'TEST' || name === 'NODE_ENV') delete env[name];
  const child = spawn('npm', ['run', 'stage', '--', stage, '--port', '0', '--data', dataDir], {
    cwd: repoRoot,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const group = child.pid;
  if (group === undefined) throw new Error(`could not run npm for stage ${stage}`);
  liveGroups.add(group);

  let output = '';
  const stop = async () => {
    signalGroup(group, 'SIGTERM');
    if (!(await groupExited(group, STOP_TIMEOUT_MS))) {
      signalGroup(group, 'SIGKILL');
      await groupExited(group, STOP_TIMEOUT_MS);
    }
    liveGroups.delete(group);
  };
  const url = await new Promise<string>((resolve, reject) => {
    const fail = (reason: string) => {
      clearTimeout(timer);
      reject(new Error(`stage ${stage} ${reason}; its output:\n${output.slice(-OUTPUT_TAIL_CHARS)}`));
    };
    const timer = setTimeout(() => fail(`printed no ready line within ${READY_TIMEOUT_MS / 1000} s`), READY_TIMEOUT_MS);
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (output += chunk));
    child.stdout.on('data', (chunk: string) => {
      output += chunk;
      const ready = /^ready (http:\/\/\S+)$/m.exec(output);
      if (ready) {
        clearTimeout(timer);
        resolve(ready[1] as string);
      }
    });
    child.once('exit', (code, signal) => fail(`exited before it was ready (${signal ?? `code ${code}`})`));
  }).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  return { url, stop };
}

function signalGroup(group: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-group, signal);
  } catch {
    // The group has already gone.
  }
}

async function groupExited(group: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      process.kill(-group, 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EPERM') return true;
    }
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
