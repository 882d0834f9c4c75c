/**
 * `npm run replicas -- restart [--data DIR] [--timeout-ms N]`
 * `npm run replicas -- status [--data DIR]`
 *
 * Operates a running 05-replicas stage through the topology file it keeps in its
 * data directory: `restart` sends SIGHUP to the stage runner, which replaces the
 * replicas one at a time, and waits until that rolling restart has finished.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readTopology, topologyFile, type Topology } from './replicas/topology';

const usage = 'usage: npm run replicas -- restart|status [--data DIR] [--timeout-ms N]';

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

const { values, positionals } = (() => {
  try {
    return parseArgs({
      allowPositionals: true,
      options: { data: { type: 'string', default: 'data/05-replicas' }, 'timeout-ms': { type: 'string', default: '120000' } },
    });
  } catch (error) {
    return fail(`${(error as Error).message}\n${usage}`);
  }
})();
const command = positionals[0];
if (positionals.length !== 1 || (command !== 'restart' && command !== 'status')) fail(usage);
const timeoutMs = Number(values['timeout-ms']);
if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) fail('--timeout-ms must be a positive integer');

const dataDir = resolve(values.data);
function current(): Topology {
  try {
    return readTopology(dataDir);
  } catch {
    return fail(`no running replicated stage: ${topologyFile(dataDir)} is missing (start one with npm run stage -- 05-replicas --data ${values.data})`);
  }
}

const before = current();
if (command === 'status') {
  process.stdout.write(`${JSON.stringify(before, null, 2)}\n`);
  process.exit(0);
}

process.kill(before.pid, 'SIGHUP');
process.stderr.write(`rolling restart of ${before.replicas.length} replicas requested (SIGHUP to pid ${before.pid})\n`);
const deadline = Date.now() + timeoutMs;
while (Date.now() < deadline) {
  await new Promise((done) => setTimeout(done, 250));
  const now = current();
  if (now.rollingRestarts > before.rollingRestarts) {
    process.stdout.write(`restarted: ${now.replicas.map((replica) => `${replica.url} (pid ${replica.pid ?? '-'})`).join(', ')}\n`);
    process.exit(0);
  }
}
fail(`the rolling restart did not finish within ${timeoutMs} ms; see the stage's output`);
