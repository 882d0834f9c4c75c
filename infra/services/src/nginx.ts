import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports';
import { runCommand, startProcess, waitFor, type ServiceProcess } from './process';

export interface NginxOptions {
  /** The app servers behind it, as `host:port`; at least one. */
  upstreams: readonly string[];
  /** Default: a free port. */
  port?: number;
  /** Default: 127.0.0.1. */
  host?: string;
  /** Default: infra/nginx/nginx.conf.template. */
  template?: string;
  /** Default: 1. */
  workerProcesses?: number;
}

export interface RunningNginx {
  /** `http://<host>:<port>` */
  readonly url: string;
  readonly port: number;
  /** e.g. `1.22.1` */
  readonly version: string;
  /** The master process. */
  readonly pid: number | undefined;
  /** Its own directory: configuration, pid file, logs, temporary files; removed on stop. */
  readonly dir: string;
  readonly configFile: string;
  /** One JSON object per request, with the replicas tried and their timings. */
  readonly accessLog: string;
  readonly errorLog: string;
  readonly upstreams: readonly string[];
  /** Resolves when the master process exits, whatever the reason. */
  readonly exited: Promise<void>;
  /**
   * Points nginx at a new set of app servers: writes the configuration, checks it,
   * reloads, and resolves once every worker of the old configuration has exited, so
   * that from then on no request and no idle connection reaches a server that left.
   */
  setUpstreams(upstreams: readonly string[]): Promise<void>;
  /** Graceful stop (SIGQUIT): stops listening, finishes the requests in flight; then removes its directory. */
  stop(): Promise<void>;
}

const INSTALL_HINT = 'nginx was not found. On Debian/Ubuntu: apt-get install -y nginx-light (or nginx), or set NGINX to its path.';
const DEFAULT_TEMPLATE = resolve(dirname(fileURLToPath(import.meta.url)), '../../nginx/nginx.conf.template');
/** Longer than the template's worker_shutdown_timeout (20 s), after which workers close what is left. */
const GRACEFUL_EXIT_MS = 30_000;

function nginxBinary(): string {
  if (process.env.NGINX) return process.env.NGINX;
  for (const candidate of ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx']) {
    if (existsSync(candidate)) return candidate;
  }
  try {
    return runCommand('sh', ['-c', 'command -v nginx']).trim();
  } catch {
    throw new Error(INSTALL_HINT);
  }
}

/**
 * Fills in a template: each `{{name}}` gets its value, and a line holding `{{server}}`
 * is repeated once per upstream. A name without a value is an error, not an empty line.
 */
export function renderNginxConfig(template: string, values: Record<string, string>, upstreams: readonly string[]): string {
  if (upstreams.length === 0) throw new Error('nginx needs at least one upstream server');
  const fill = (line: string) =>
    line.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
      const value = values[name];
      if (value === undefined) throw new Error(`the nginx template names {{${name}}}, which has no value`);
      return value;
    });
  return template
    .split('\n')
    .flatMap((line) => (line.includes('{{server}}') ? upstreams.map((server) => fill(line.replaceAll('{{server}}', server))) : [fill(line)]))
    .join('\n');
}

/** Run as root, nginx's workers drop to `nobody`; otherwise they run as the current user. */
function userDirective(): string {
  if (process.getuid?.() !== 0) return '# not started as root: the workers run as the current user';
  const group = runCommand('id', ['-gn', 'nobody']).trim();
  return `user nobody ${group};`;
}

/** The pids whose parent is `pid`, from /proc: an nginx master's workers. */
async function childPids(pid: number): Promise<number[]> {
  const children: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      // The fields after the command name (in parentheses, and it may hold anything): state, ppid, ...
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return children;
}

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolveAccepts) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolveAccepts(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => done(true));
  });
}

/**
 * Starts nginx in front of `upstreams` on loopback, from the template in infra/nginx,
 * in a directory of its own (`nginx -p <dir> -c <dir>/nginx.conf`, in the foreground
 * with a master process, so that reloads and graceful stops work as in production).
 */
export async function startNginx(options: NginxOptions): Promise<RunningNginx> {
  const binary = nginxBinary();
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? (await freePort());
  const template = await readFile(options.template ?? DEFAULT_TEMPLATE, 'utf8');
  const version = (spawnSync(binary, ['-v'], { encoding: 'utf8' }).stderr ?? '').trim().replace(/^nginx version: nginx\//, '');

  const dir = await mkdtemp(join(tmpdir(), 'santa-nginx-'));
  // Workers running as nobody must reach the temporary directories nginx makes in here.
  await chmod(dir, 0o711);
  const configFile = join(dir, 'nginx.conf');
  const hostInUrl = host.includes(':') ? `[${host}]` : host;
  const values = {
    user: userDirective(),
    worker_processes: String(options.workerProcesses ?? 1),
    listen: `${hostInUrl}:${port}`,
  };
  const prefix = ['-p', `${dir}/`];

  let upstreams = [...options.upstreams];
  const writeConfig = async (servers: readonly string[]) => {
    const next = `${configFile}.next`;
    await writeFile(next, renderNginxConfig(template, values, servers));
    const check = spawnSync(binary, ['-t', '-q', ...prefix, '-c', next], { encoding: 'utf8' });
    if (check.status !== 0) {
      await rm(next, { force: true });
      throw new Error(`nginx refused its configuration:\n${check.stderr}${check.stdout}`);
    }
    await rename(next, configFile);
  };

  let server: ServiceProcess | undefined;
  const stopServer = async () => {
    const current = server;
    if (!current?.running || current.pid === undefined) return;
    current.child.kill('SIGQUIT');
    const exitedInTime = await Promise.race([current.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), GRACEFUL_EXIT_MS))]);
    if (exitedInTime) return;
    // Workers outlive a killed master: take them down with it.
    const workers = await childPids(current.pid);
    current.child.kill('SIGKILL');
    for (const worker of workers) {
      try {
        process.kill(worker, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await current.exited;
  };

  try {
    await writeConfig(upstreams);
    server = startProcess('nginx', binary, [...prefix, '-c', configFile]);
    const started = server;
    await waitFor(
      async () => started.running && started.pid !== undefined && (await accepts(host, port)) && (await childPids(started.pid)).length > 0,
      15_000,
      () => `nginx did not start:\n${started.recentOutput()}`,
    );
  } catch (error) {
    await stopServer();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const master = server;

  const errorLog = join(dir, 'error.log');
  return {
    url: `http://${hostInUrl}:${port}`,
    port,
    version,
    get pid() {
      return master.pid;
    },
    dir,
    configFile,
    accessLog: join(dir, 'access.log'),
    errorLog,
    get upstreams() {
      return upstreams;
    },
    exited: master.exited.then(() => undefined),
    async setUpstreams(servers) {
      const pid = master.pid;
      if (!master.running || pid === undefined) throw new Error('nginx is not running');
      await writeConfig(servers);
      const oldWorkers = await childPids(pid);
      process.kill(pid, 'SIGHUP');
      await waitFor(
        async () => {
          const workers = await childPids(pid);
          return workers.length > 0 && !workers.some((worker) => oldWorkers.includes(worker));
        },
        GRACEFUL_EXIT_MS,
        () => `nginx did not finish reloading; its error log ${errorLog} and output:\n${master.recentOutput()}`,
      );
      upstreams = [...servers];
    },
    async stop() {
      await stopServer();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
