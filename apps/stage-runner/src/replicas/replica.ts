import { spawn, type ChildProcess } from 'node:child_process';
import { waitUntilHealthy } from '../health';

export interface ReplicaLaunch {
  /** The stage program every replica runs. */
  program: string;
  cwd: string;
  /** Its environment, without HOST and PORT: DATABASE_URL, REDIS_URL, ... */
  env: NodeJS.ProcessEnv;
  log(line: string): void;
  /** A replica's process changed (it died, or a new one answers): the topology file is rewritten. */
  changed(): void;
}

/** A cold start of the program under tsx on a busy machine takes a few seconds; this only turns a hang into an error. */
const READY_TIMEOUT_MS = 60_000;
/** After SIGTERM: the program's own drain (SHUTDOWN_TIMEOUT_MS, 10 s by default) and closing its store. */
const DRAIN_TIMEOUT_MS = 30_000;
/** Waits before starting a crashed replica again, growing while it keeps failing to start. */
const RESTART_DELAYS_MS = [100, 500, 1_000, 2_000, 5_000];

/**
 * One app process on one loopback port, kept running: if it dies (a crash, a SIGKILL)
 * it is started again on the same port, which nginx still lists, so that nginx's
 * passive health checks bring it back into rotation once it answers. `stop()` ends
 * that for good: SIGTERM, then the program drains its requests in flight and exits.
 */
export class Replica {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private retired = false;
  /** Between the answer to /healthz and the exit of the current process. */
  private serving = false;
  private failedStarts = 0;
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly port: number,
    private readonly launch: ReplicaLaunch,
  ) {}

  /** `127.0.0.1:<port>`, as nginx's upstream lists it. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get url(): string {
    return `http://${this.address}`;
  }

  /** The running process, if there is one. */
  get pid(): number | undefined {
    const child = this.child;
    return child && child.exitCode === null && child.signalCode === null ? child.pid : undefined;
  }

  /** Starts the program; resolves once it answers /healthz, rejects if it exits or hangs first. */
  async start(): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', this.launch.program], {
      cwd: this.launch.cwd,
      env: { ...this.launch.env, HOST: '127.0.0.1', PORT: String(this.port) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    this.child = child;
    const exit = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? `status ${code}`)));
    this.exited = exit.then(() => undefined);

    try {
      const url = await readyLine(child, exit);
      await waitUntilHealthy(url, READY_TIMEOUT_MS);
    } catch (error) {
      child.kill('SIGKILL');
      await this.exited;
      throw new Error(`the replica on ${this.address} did not start: ${(error as Error).message}`, { cause: error });
    }
    this.serving = true;
    this.launch.changed();
    void exit.then((how) => {
      this.serving = false;
      if (this.retired || this.child !== child) return;
      this.launch.log(`replica ${this.address} (pid ${child.pid}) exited (${how}); starting it again`);
      this.launch.changed();
      this.scheduleRestart();
    });
  }

  /**
   * SIGTERM and wait for the drain. True when it drained and exited cleanly, or had
   * nothing to drain (it was not running, or still starting).
   */
  async stop(): Promise<boolean> {
    this.retired = true;
    clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return true;
    const wasServing = this.serving;
    child.kill('SIGTERM');
    const timer = setTimeout(() => {
      this.launch.log(`replica ${this.address} did not drain within ${DRAIN_TIMEOUT_MS / 1000} s; killing it`);
      child.kill('SIGKILL');
    }, DRAIN_TIMEOUT_MS);
    await this.exited;
    clearTimeout(timer);
    return child.exitCode === 0 || !wasServing;
  }

  private scheduleRestart(): void {
    const delay = RESTART_DELAYS_MS[Math.min(this.failedStarts, RESTART_DELAYS_MS.length - 1)] as number;
    this.restartTimer = setTimeout(() => {
      if (this.retired) return;
      this.start().then(
        () => {
          this.failedStarts = 0;
          this.launch.log(`replica ${this.address} is back (pid ${this.pid})`);
        },
        (error: Error) => {
          if (this.retired) return;
          this.failedStarts += 1;
          this.launch.log(error.message);
          this.scheduleRestart();
        },
      );
    }, delay);
  }
}

/**
 * The URL of the `ready <url>` line the program prints once it listens. Anything else
 * it prints on stdout goes to stderr, so the runner's stdout carries one ready line.
 */
function readyLine(child: ChildProcess, exit: Promise<string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line within ${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS);
    void exit.then((how) => {
      clearTimeout(timer);
      reject(new Error(`it exited (${how})`));
    });
    let buffered = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      buffered += chunk;
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        const ready = /^ready (http:\/\/\S+)$/.exec(line);
        if (ready) {
          clearTimeout(timer);
          resolve(ready[1] as string);
        } else {
          process.stderr.write(`${line}\n`);
        }
      }
    });
  });
}
