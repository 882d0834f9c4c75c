/**
 * `npm run stage -- <stage> [--port N] [--host H] [--data DIR]`
 *
 * The one way to start any stage, used by people, tests and the benchmark runner.
 * It starts the services the stage needs (its package.json says which), then the
 * stage's program as a child process with its configuration in the environment,
 * waits until it answers, and prints `ready <url>` on stdout. On SIGTERM or SIGINT
 * it lets the stage drain, stops the services it started, and exits with the
 * stage's own status.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { waitUntilHealthy } from './health';
import { provisionServices, type ServiceName } from './services';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const stagesDir = join(repoRoot, 'stages');

function availableStages(): string[] {
  return readdirSync(stagesDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(stagesDir, entry.name, 'src/main.ts')))
    .map((entry) => entry.name)
    .sort();
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

const usage = `usage: npm run stage -- <stage> [--port N] [--host H] [--data DIR]
stages: ${availableStages().join(', ')}`;

const { values, positionals } = (() => {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        port: { type: 'string', default: '3000' },
        host: { type: 'string', default: '127.0.0.1' },
        data: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    return fail(`${(error as Error).message}\n${usage}`);
  }
})();

if (values.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}
const stage = positionals[0];
if (!stage || positionals.length > 1) fail(usage);
if (!availableStages().includes(stage)) fail(`unknown stage "${stage}"\n${usage}`);
if (!/^\d{1,5}$/.test(values.port) || Number(values.port) > 65535) fail(`--port must be 0-65535, got "${values.port}"`);

const dataDir = resolve(values.data ?? join('data', stage));
const manifest = JSON.parse(readFileSync(join(stagesDir, stage, 'package.json'), 'utf8')) as { stage?: { services?: ServiceName[] } };

// Signals may arrive while services are still starting, before the app exists.
const state: { stopping: boolean; app?: ChildProcess } = { stopping: false };
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    state.stopping = true;
    state.app?.kill(signal);
  });
}

const services = await provisionServices(manifest.stage?.services ?? [], dataDir).catch((error: Error) => fail(`${stage}: ${error.message}`));
for (const line of services.description) process.stderr.write(`${stage}: ${line}\n`);
if (state.stopping) {
  await services.stop();
  process.exit(0);
}

const app = spawn(process.execPath, ['--import', 'tsx', join(stagesDir, stage, 'src/main.ts')], {
  cwd: repoRoot,
  env: { ...process.env, ...services.env, HOST: values.host, PORT: values.port, DATA_DIR: dataDir },
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
