/**
 * The supervisor of a replicated stage, started by front.ts in a process group of
 * its own: PostgreSQL and Redis, N replicas of the stage program on free loopback
 * ports, nginx in front of them. It prints `ready <nginx url>` once nginx answers
 * /healthz through the replicas.
 *
 * - A replica that dies is started again on its port (replica.ts); meanwhile nginx's
 *   passive health checks send its traffic to the others.
 * - SIGHUP: a rolling restart, one replica at a time: start a new one on a new port,
 *   add it to nginx's upstream, take the old one out, and once no nginx worker can
 *   still reach the old one, SIGTERM it and let it drain.
 * - SIGTERM or SIGINT: nginx stops gracefully (it finishes its requests in flight,
 *   which the replicas are still there to answer), then the replicas drain, then the
 *   services stop; exit 0 when every replica drained cleanly.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { freePort, startNginx, type RunningNginx } from '@santa/services';
import { waitUntilHealthy } from '../health';
import { provisionServices, type ProvisionedServices } from '../services';
import type { ReplicatedStageConfig } from './front';
import { Replica, type ReplicaLaunch } from './replica';
import { removeTopology, topologyFile, writeTopology, type Topology } from './topology';

const config = JSON.parse(process.argv[2] ?? '') as ReplicatedStageConfig;
const { stage, dataDir } = config;

function log(line: string): void {
  process.stderr.write(`${stage}: ${line}\n`);
}

let phase: 'starting' | 'running' | 'stopping' = 'starting';
let stopRequested = false;
let services: ProvisionedServices | undefined;
let nginx: RunningNginx | undefined;
/** nginx's port, chosen before the replicas start: they link to it in the e-mails they send. */
let nginxPort: number | undefined;
/** Every replica process kept running, in upstream order. */
const replicas: Replica[] = [];
let rollingRestart: Promise<void> | undefined;
let rollingRestarts = 0;

// The runner holds the other end of stdin. If it is gone (killed with SIGKILL, say),
// everything in this process group goes with it, as it would in the runner's own group;
// only the files that describe what is about to be gone are removed first.
function lifelineCut(): void {
  if (nginx) rmSync(nginx.dir, { recursive: true, force: true });
  rmSync(topologyFile(dataDir), { force: true });
  process.kill(-process.pid, 'SIGKILL');
}
process.stdin.on('end', lifelineCut);
process.stdin.on('error', lifelineCut);
process.stdin.resume();

let publishing = Promise.resolve();
/** Rewrites the topology file, one write at a time. */
function publish(): void {
  if (!nginx || phase === 'stopping') return;
  const current = nginx;
  const topology: Topology = {
    stage,
    pid: process.ppid,
    url: current.url,
    nginx: { pid: current.pid, version: current.version, configFile: current.configFile, accessLog: current.accessLog, errorLog: current.errorLog },
    replicas: replicas.map(({ url, pid }) => (pid === undefined ? { url } : { url, pid })),
    rollingRestarts,
  };
  publishing = publishing.then(() => writeTopology(dataDir, topology)).catch((error: Error) => log(`could not write ${topologyFile(dataDir)}: ${error.message}`));
}

const launch: ReplicaLaunch = { program: config.program, cwd: config.repoRoot, env: {}, log, changed: publish };

/** A free port that no replica holds, not even one being started again. */
async function replicaPort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (!replicas.some((replica) => replica.port === port) && port !== nginxPort) return port;
  }
}

function upstreams(): string[] {
  return replicas.map((replica) => replica.address);
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    stopRequested = true;
    if (phase === 'running') void shutdown(0);
  });
}
process.on('SIGHUP', () => {
  if (phase !== 'running') return log('SIGHUP: not restarting the replicas while the stage is starting or stopping');
  if (rollingRestart) return log('SIGHUP: a rolling restart is already under way');
  rollingRestart = restartOneByOne()
    .catch((error: Error) => log(`rolling restart failed: ${error.message}`))
    .finally(() => (rollingRestart = undefined));
});

async function restartOneByOne(): Promise<void> {
  log(`rolling restart of ${replicas.length} replicas, one at a time`);
  for (const old of [...replicas]) {
    if (phase !== 'running') return;
    const fresh = new Replica(await replicaPort(), launch);
    try {
      await fresh.start();
    } catch (error) {
      await fresh.stop();
      throw new Error(`${(error as Error).message}; the others keep serving`, { cause: error });
    }
    const current = nginx as RunningNginx;
    replicas.splice(replicas.indexOf(old) + 1, 0, fresh);
    await current.setUpstreams(upstreams());
    replicas.splice(replicas.indexOf(old), 1);
    // setUpstreams returns once the workers that knew the old replica have exited:
    // no request is on its way to it and no idle connection to it is left to reuse.
    await current.setUpstreams(upstreams());
    publish();
    const drained = await old.stop();
    log(`replica ${old.address} ${drained ? 'drained and stopped' : 'did not stop cleanly'}; ${fresh.address} (pid ${fresh.pid}) serves in its place`);
  }
  rollingRestarts += 1;
  publish();
  log(`rolling restart done: ${upstreams().join(', ')}`);
}

let stopping: Promise<never> | undefined;
/** Stops everything in order and exits; every later call gets the same promise. */
function shutdown(exitCode: number): Promise<never> {
  phase = 'stopping';
  stopping ??= (async () => {
    // A restart step in progress finishes (each is bounded); no further step starts.
    await rollingRestart;
    await nginx?.stop().catch((error: Error) => log(`nginx: ${error.message}`));
    const drained = await Promise.all(replicas.map((replica) => replica.stop()));
    await services?.stop();
    await publishing;
    await removeTopology(dataDir);
    process.exit(exitCode !== 0 ? exitCode : drained.every(Boolean) ? 0 : 1);
  })();
  return stopping;
}

async function start(): Promise<void> {
  mkdirSync(dataDir, { recursive: true });
  try {
    services = await provisionServices(config.services, dataDir);
  } catch (error) {
    log((error as Error).message);
    process.exit(2);
  }
  for (const line of services.description) log(line);
  if (stopRequested) return void (await shutdown(0));

  // E-mailed links lead through nginx rather than to the replica that sent them, so
  // nginx's port is known before any replica starts, even when any free port will do.
  const port = config.port !== 0 ? config.port : await freePort();
  nginxPort = port;
  const publicUrl = process.env.PUBLIC_URL || `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  launch.env = { ...process.env, ...services.env, DATA_DIR: dataDir, PUBLIC_URL: publicUrl };
  for (let i = 0; i < config.replicas; i++) replicas.push(new Replica(await replicaPort(), launch));
  const started = await Promise.allSettled(replicas.map((replica) => replica.start()));
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) {
    log((failed as PromiseRejectedResult).reason.message);
    return void (await shutdown(1));
  }
  replicas.forEach((replica, i) => log(`replica ${i + 1} of ${replicas.length}: ${replica.url} (pid ${replica.pid})`));
  if (stopRequested) return void (await shutdown(0));

  try {
    nginx = await startNginx({ upstreams: upstreams(), host: config.host, port });
    await waitUntilHealthy(nginx.url, 30_000);
  } catch (error) {
    log((error as Error).message);
    return void (await shutdown(1));
  }
  void nginx.exited.then(() => {
    if (phase === 'stopping') return;
    log('nginx exited unexpectedly; stopping the stage');
    void shutdown(1);
  });
  log(`nginx ${nginx.version} on ${nginx.url}; access log ${nginx.accessLog}, error log ${nginx.errorLog}`);
  log(`SIGHUP to pid ${process.ppid} restarts the replicas one at a time; the topology is in ${topologyFile(dataDir)}`);
  phase = 'running';
  publish();
  await publishing;
  process.stdout.write(`ready ${nginx.url}\n`);
  if (stopRequested) await shutdown(0);
}

await start();
