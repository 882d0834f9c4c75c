import { mkdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { generateDataset, loadDataset, writeTokensFile, type DatasetTokens } from '@santa/dataset';
import { postgresBinDir, runCommand, startPostgres, startRedis, type RunningPostgres, type RunningRedis } from '@santa/services';
import type { TableName } from '@santa/domain';
import { onInterrupt } from './cleanup';
import { openStore, type StoreLocation } from './stores';
import type { ServiceName, TargetSpec } from './targets';

/** k6 keeps the token file in memory; beyond this many, an even sample of the tokens is written. */
export const MAX_TOKENS_IN_FILE = 100_000;

/** Which dataset: the generator's options that vary between comparisons. */
export interface DataKey {
  participants: number;
  seed: number;
  drawnRate: number;
}

export interface LoadedData {
  location: StoreLocation | null;
  /** Seconds it took to write the dataset (when it was written, for data reused later). */
  seconds: number;
  how: string;
  rows: Record<TableName, number> | null;
}

/**
 * What a comparison shares between its runs: one PostgreSQL and one Redis on
 * loopback (started on first need, kept to the end so loaded data stays loaded),
 * a data directory or database per target and dataset, and the token files.
 */
export class Lab {
  postgres: RunningPostgres | undefined;
  redis: RunningRedis | undefined;
  private readonly loaded = new Map<string, LoadedData>();
  private readonly tokenFiles = new Map<string, { path: string; count: number }>();
  /** Tokens a load produced, until their file is written. */
  private readonly tokens = new Map<string, DatasetTokens>();

  private readonly forget: () => void;

  constructor(
    readonly workDir: string,
    private readonly log: (line: string) => void = () => undefined,
  ) {
    mkdirSync(workDir, { recursive: true });
    this.forget = onInterrupt(() => this.dispose());
  }

  async ensureServices(needed: readonly ServiceName[]): Promise<void> {
    if (needed.includes('postgres') && !this.postgres) {
      this.postgres = await startPostgres();
      this.log(`postgres: ${this.postgres.version} on port ${this.postgres.port}`);
    }
    if (needed.includes('redis') && !this.redis) {
      this.redis = await startRedis();
      this.log(`redis: ${this.redis.version.split(' ').slice(0, 3).join(' ')} on port ${this.redis.port}`);
    }
  }

  /** A database of its own on the shared server, created when missing. */
  private databaseUrl(name: string): string {
    const postgres = this.postgres;
    if (!postgres) throw new Error('PostgreSQL is not running');
    const connection = ['-h', '127.0.0.1', '-p', String(postgres.port), '-U', 'santa'];
    const bin = postgresBinDir();
    const exists = runCommand(join(bin, 'psql'), [...connection, '-d', 'postgres', '-tAc', `SELECT 1 FROM pg_database WHERE datname = '${name}'`]).trim();
    if (exists !== '1') runCommand(join(bin, 'createdb'), [...connection, name]);
    return `postgres://santa@127.0.0.1:${postgres.port}/${name}`;
  }

  private key(target: string, data: DataKey): string {
    return `${target}-${data.participants}-${data.seed}-${Math.round(data.drawnRate * 100)}`.replace(/[^a-z0-9-]/gi, '_');
  }

  /** Where a stage's data lives: its data directory, and its own database if it uses PostgreSQL. */
  stageDataDir(target: string, data: DataKey): string {
    const dir = join(this.workDir, 'data', this.key(target, data));
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  locationFor(spec: TargetSpec, data: DataKey): StoreLocation | null {
    const dataDir = this.stageDataDir(spec.name, data);
    switch (spec.store) {
      case 'csv':
      case 'sqlite':
        return { kind: spec.store, dataDir };
      case 'postgres':
        return { kind: 'postgres', connectionString: this.databaseUrl(`santa_${this.key(spec.name, data).toLowerCase().replace(/-/g, '_')}`) };
      default:
        return null;
    }
  }

  /**
   * Writes the dataset into the target's store once per comparison (or ladder): later
   * rounds and comparisons find it loaded. References load their own data in-process.
   */
  async loadData(spec: TargetSpec, data: DataKey, onProgress?: (line: string) => void): Promise<LoadedData> {
    const key = this.key(spec.name, data);
    const known = this.loaded.get(key);
    if (known) return { ...known, how: known.location === null ? known.how : `${known.how}, by an earlier comparison of the same run` };
    await this.ensureServices(spec.services);
    const location = this.locationFor(spec, data);
    let result: LoadedData;
    if (location === null) {
      result = {
        location: null,
        seconds: 0,
        how: spec.name === 'ceiling' ? 'generated in memory by the process itself, during its start-up' : 'none: a fixed answer',
        rows: null,
      };
    } else {
      const store = await openStore(location);
      try {
        const existing = await store.countRows('participants');
        if (existing !== 0) throw new Error(`${spec.name}: the store at ${describe(location)} already holds ${existing} participants`);
        let lastReport = 0;
        const loaded = await loadDataset(store, data, {
          onBatch: (table, rowsSoFar) => {
            if (Date.now() - lastReport < 5_000) return;
            lastReport = Date.now();
            onProgress?.(`${spec.name}: ${rowsSoFar} ${table}`);
          },
        });
        result = { location, seconds: loaded.seconds, how: `written through the bulk rows port into ${location.kind}`, rows: loaded.rows };
        this.tokens.set(this.key('tokens', data), loaded.tokens);
      } finally {
        await store.close();
      }
    }
    this.loaded.set(key, result);
    return result;
  }

  /** The k6 token file of a dataset; the tokens are generated again when no load produced them. */
  async tokensFile(data: DataKey): Promise<{ path: string; count: number }> {
    const key = this.key('tokens', data);
    const known = this.tokenFiles.get(key);
    if (known) return known;
    let tokens = this.tokens.get(key);
    if (!tokens) {
      const dataset = generateDataset(data);
      for (const batch of dataset.tables) void batch;
      tokens = dataset.tokens();
    }
    const path = join(this.workDir, `${key}.json`);
    await writeTokensFile(path, tokens, MAX_TOKENS_IN_FILE);
    const file = { path, count: Math.min(tokens.participantTokens.length, MAX_TOKENS_IN_FILE) };
    this.tokenFiles.set(key, file);
    this.tokens.delete(key);
    return file;
  }

  /** Empties the cache, so every run of a cached stage starts cold and rounds stay alike. */
  async flushRedis(): Promise<void> {
    const redis = this.redis;
    if (!redis) return;
    await new Promise<void>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: redis.port });
      socket.setTimeout(5_000, () => socket.destroy(new Error('Redis did not answer FLUSHALL')));
      socket.on('error', reject);
      socket.on('connect', () => socket.write('FLUSHALL\r\n'));
      socket.on('data', (data) => {
        socket.end();
        if (data.toString().startsWith('+OK')) resolve();
        else reject(new Error(`Redis answered FLUSHALL with ${data.toString().trim()}`));
      });
    });
  }

  async stop(): Promise<void> {
    await this.redis?.stop().catch(() => undefined);
    await this.postgres?.stop().catch(() => undefined);
    this.redis = undefined;
    this.postgres = undefined;
  }

  /** Stops the services and removes every file the lab wrote. */
  async dispose(): Promise<void> {
    this.forget();
    await this.stop();
    rmSync(this.workDir, { recursive: true, force: true });
  }
}

function describe(location: StoreLocation): string {
  return location.kind === 'postgres' ? location.connectionString : location.dataDir;
}
