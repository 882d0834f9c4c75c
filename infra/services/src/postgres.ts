import { existsSync, readdirSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort } from './ports';
import { runCommand, startProcess, waitFor, type ServiceProcess } from './process';

export interface PostgresOptions {
  /** A data directory to use (initialised when empty); default: a fresh temporary one, removed on stop. */
  dataDir?: string;
  /** Default: a free port on 127.0.0.1. */
  port?: number;
  /** Extra server settings (`-c name=value`). */
  settings?: Record<string, string>;
}

export interface RunningPostgres {
  /** `postgres://santa@127.0.0.1:<port>/santa` (trust auth, loopback only). */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  readonly version: string;
  readonly pid: number | undefined;
  /** Fast shutdown (SIGINT), then removes a temporary data directory. */
  stop(): Promise<void>;
  /** Stops and starts again on the same port and data directory, like a database restart. */
  restart(): Promise<void>;
  /** Stops the server without removing its data (for outage tests); `start()` brings it back. */
  halt(): Promise<void>;
  start(): Promise<void>;
}

const INSTALL_HINT = 'PostgreSQL server binaries were not found. On Debian/Ubuntu: apt-get install -y postgresql (or set PG_BINDIR).';

/** Debian keeps initdb and postgres off PATH; pg_config or the versioned directory finds them. */
export function postgresBinDir(): string {
  if (process.env.PG_BINDIR) return process.env.PG_BINDIR;
  try {
    const dir = runCommand('pg_config', ['--bindir']).trim();
    if (existsSync(join(dir, 'postgres'))) return dir;
  } catch {
    // fall through to the versioned directories
  }
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin/postgres')));
    versions.sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(root, versions[0], 'bin');
  }
  throw new Error(INSTALL_HINT);
}

/** PostgreSQL refuses to run as root; when we are root, the server runs as the `postgres` (or `nobody`) user. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const name of ['postgres', 'nobody']) {
    try {
      return { uid: Number(runCommand('id', ['-u', name]).trim()), gid: Number(runCommand('id', ['-g', name]).trim()) };
    } catch {
      // try the next user
    }
  }
  throw new Error('running as root and found neither a postgres nor a nobody user to run PostgreSQL as');
}

async function chownTree(path: string, user: { uid: number; gid: number }): Promise<void> {
  await chown(path, user.uid, user.gid);
  for (const entry of await readdir(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) await chownTree(child, user);
    else await chown(child, user.uid, user.gid);
  }
}

/**
 * The server user must be able to reach its data directory. Its parent (a stage's
 * data directory, often made with `mktemp -d`, mode 0700) is ours to open for
 * traversal; the data directory itself must stay private (PostgreSQL checks), and a
 * locked directory further up is the caller's to fix.
 */
async function ensureReachable(dataDir: string): Promise<void> {
  const parent = dirname(dataDir);
  const { mode } = await stat(parent);
  if ((mode & 0o001) === 0) await chmod(parent, mode | 0o001);
  for (let dir = dirname(parent); dir !== dirname(dir); dir = dirname(dir)) {
    if (((await stat(dir)).mode & 0o001) === 0) {
      throw new Error(
        `PostgreSQL runs as an unprivileged user and cannot reach ${dataDir}: ${dir} is not searchable by others. ` +
          'Choose a data directory elsewhere (for example under /tmp), or allow traversal with chmod o+x.',
      );
    }
  }
}

export async function startPostgres(options: PostgresOptions = {}): Promise<RunningPostgres> {
  const bin = postgresBinDir();
  const user = serverUser();
  const temporary = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'santa-pg-')));
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const port = options.port ?? (await freePort());
  const version = runCommand(join(bin, 'postgres'), ['--version']).trim();

  if (user) {
    await ensureReachable(dataDir);
    await chownTree(dataDir, user);
  }
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    runCommand(join(bin, 'initdb'), ['-D', dataDir, '-U', 'santa', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8'], user);
  }

  const settings: Record<string, string> = {
    listen_addresses: '127.0.0.1',
    // TCP only: no socket files to clean up or collide.
    unix_socket_directories: '',
    max_connections: '200',
    ...options.settings,
  };
  const args = ['-D', dataDir, '-p', String(port), ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];

  let server: ServiceProcess | undefined;
  const isReady = async () => {
    try {
      runCommand(join(bin, 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(port), '-U', 'santa', '-d', 'postgres']);
      return true;
    } catch {
      return false;
    }
  };

  const start = async () => {
    server = startProcess('postgres', join(bin, 'postgres'), args, user);
    const current = server;
    await waitFor(async () => current.running && (await isReady()), 30_000, () => `PostgreSQL did not start:\n${current.recentOutput()}`);
  };
  const halt = async () => {
    // SIGINT is PostgreSQL's fast shutdown: clients are disconnected, nothing is lost.
    await server?.stop('SIGINT', 30_000);
  };

  await start();
  const databaseExists = runCommand(join(bin, 'psql'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'santa', '-d', 'postgres', '-tAc', "SELECT 1 FROM pg_database WHERE datname = 'santa'"]).trim();
  if (databaseExists !== '1') runCommand(join(bin, 'createdb'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'santa', 'santa']);

  return {
    url: `postgres://santa@127.0.0.1:${port}/santa`,
    port,
    dataDir,
    version,
    get pid() {
      return server?.pid;
    },
    start,
    halt,
    async restart() {
      await halt();
      await start();
    },
    async stop() {
      await halt();
      if (temporary) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
