import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports';
import { runCommand, startProcess, waitFor, type ServiceProcess } from './process';

export interface RedisOptions {
  port?: number;
  /** Upper bound of memory; the cache evicts least-recently-used keys beyond it. */
  maxMemory?: string;
}

export interface RunningRedis {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly version: string;
  readonly pid: number | undefined;
  stop(): Promise<void>;
  /** Kills the server (SIGKILL), as in an outage; `start()` brings it back on the same port, empty. */
  kill(): Promise<void>;
  start(): Promise<void>;
}

const INSTALL_HINT = 'redis-server was not found. On Debian/Ubuntu: apt-get install -y redis-server (or set REDIS_SERVER).';

function redisServerBinary(): string {
  if (process.env.REDIS_SERVER) return process.env.REDIS_SERVER;
  for (const candidate of ['/usr/bin/redis-server', '/usr/local/bin/redis-server']) {
    if (existsSync(candidate)) return candidate;
  }
  try {
    return runCommand('sh', ['-c', 'command -v redis-server']).trim();
  } catch {
    throw new Error(INSTALL_HINT);
  }
}

/** Sends PING over a raw connection: no client library needed to know Redis answers. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

export async function startRedis(options: RedisOptions = {}): Promise<RunningRedis> {
  const binary = redisServerBinary();
  const port = options.port ?? (await freePort());
  const dir = await mkdtemp(join(tmpdir(), 'santa-redis-'));
  const version = runCommand(binary, ['--version']).trim();
  // A cache: no persistence, bounded memory, loopback only.
  const args = [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir,
    '--save', '', '--appendonly', 'no',
    '--maxmemory', options.maxMemory ?? '256mb', '--maxmemory-policy', 'allkeys-lru',
  ];

  let server: ServiceProcess | undefined;
  const start = async () => {
    server = startProcess('redis', binary, args);
    const current = server;
    await waitFor(async () => current.running && (await ping(port)), 15_000, () => `Redis did not start:\n${current.recentOutput()}`);
  };
  await start();

  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    version,
    get pid() {
      return server?.pid;
    },
    start,
    async kill() {
      await server?.stop('SIGKILL');
    },
    async stop() {
      await server?.stop('SIGTERM');
      await rm(dir, { recursive: true, force: true });
    },
  };
}
