/**
 * `npm run stage -- <stage> [--port N] [--host H] [--data DIR] [--replicas N]`
 *
 * The one way to start any stage, used by people, tests and the benchmark runner.
 * It starts the services the stage needs (its package.json says which), then the
 * stage's program as a child process with its configuration in the environment,
 * waits until it answers, and prints `ready <url>` on stdout. On SIGTERM or SIGINT
 * it lets the stage drain, stops the services it started, and exits with the
 * stage's own status.
 *
 * A stage made of replicas (05-replicas) runs N copies of another stage's program
 * behind nginx instead, and restarts them one at a time on SIGHUP (./replicas).
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { availableStages, programOf, readManifest } from './manifest';
import { runReplicated } from './replicas/front';
import { runSingleProcess } from './single';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const stagesDir = join(repoRoot, 'stages');

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

const usage = `usage: npm run stage -- <stage> [--port N] [--host H] [--data DIR] [--replicas N]
stages: ${availableStages(stagesDir).join(', ')}`;

const { values, positionals } = (() => {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        port: { type: 'string', default: '3000' },
        host: { type: 'string', default: '127.0.0.1' },
        data: { type: 'string' },
        replicas: { type: 'string' },
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
if (!availableStages(stagesDir).includes(stage)) fail(`unknown stage "${stage}"\n${usage}`);
if (!/^\d{1,5}$/.test(values.port) || Number(values.port) > 65535) fail(`--port must be 0-65535, got "${values.port}"`);

const dataDir = resolve(values.data ?? join('data', stage));
const manifest = readManifest(stagesDir, stage);

if (manifest.replicas) {
  const replicas = values.replicas ?? String(manifest.replicas.count);
  if (!/^\d{1,2}$/.test(replicas) || Number(replicas) < 1 || Number(replicas) > 32) fail(`--replicas must be 1-32, got "${replicas}"`);
  runReplicated({
    stage,
    program: programOf(stagesDir, manifest.replicas.program),
    repoRoot,
    services: manifest.services,
    replicas: Number(replicas),
    host: values.host,
    port: Number(values.port),
    dataDir,
  });
} else {
  if (values.replicas !== undefined) fail(`stage ${stage} runs one process; --replicas is for a stage made of replicas`);
  await runSingleProcess({ stage, program: programOf(stagesDir, stage), repoRoot, services: manifest.services, host: values.host, port: values.port, dataDir, fail });
}
