import { spawn, type ChildProcess } from 'node:child_process';
import { waitUntilHealthy } from './health';
import { provisionServices, type ServiceName } from './services';

export interface SingleProcessOptions {
  stage: string;
  /** The program to run: `stages/<stage>/src/main.ts`. */
  program: string;
  repoRoot: string;
  services: ServiceName[];
  host: string;
  port: string;
  dataDir: string;
  fail(message: string): never;
}

/**
 * Stages 01-04: the services the stage needs, then its program as one child process.
 * Prints `ready <url>` once the program answers; SIGTERM or SIGINT is passed on to it,
 * and the runner exits with its status once it has drained and the services are stopped.
 */
export async function runSingleProcess(options: SingleProcessOptions): Promise<void> {
  const { stage } = options;

  // Signals may arrive while services are still starting, before the app exists.
  const state: { stopping: boolean; app?: ChildProcess } = { stopping: false };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      state.stopping = true;
      state.app?.kill(signal);
    });
  }

  const services = await provisionServices(options.services, options.dataDir).catch((error: Error) => options.fail(`${stage}: ${error.message}`));
  for (const line of services.description) process.stderr.write(`${stage}: ${line}\n`);
  if (state.stopping) {
    await services.stop();
    process.exit(0);
  }

  const app = spawn(process.execPath, ['--import', 'tsx', options.program], {
    cwd: options.repoRoot,
    env: { ...process.env, ...services.env, HOST: options.host, PORT: options.port, DATA_DIR: options.dataDir },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  state.app = app;

  app.on('exit', (code, signal) => {
    if (signal && !state.stopping) process.stderr.write(`stage ${stage} was killed by ${signal}\n`);
    void services.stop().finally(() => process.exit(code ?? 1));
  });

  // The stage prints `ready <url>` once it listens; everything else it prints passes through.
  let buffered = '';
  app.stdout.setEncoding('utf8');
  app.stdout.on('data', (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      const ready = /^ready (http:\/\/\S+)$/.exec(line);
      if (!ready) {
        process.stdout.write(`${line}\n`);
        continue;
      }
      const url = ready[1];
      waitUntilHealthy(url, 30_000).then(
        () => process.stdout.write(`ready ${url}\n`),
        (error: Error) => {
          process.stderr.write(`stage ${stage} said ready at ${url} but does not answer: ${error.message}\n`);
          app.kill('SIGTERM');
        },
      );
    }
  });
}
