import pg from 'pg';
import { StoreUnavailableError } from '@santa/domain';

export interface PoolOptions {
  /** `postgres://user:password@host:port/database` */
  connectionString: string;
  /** Connections the pool opens at most. Queries beyond that wait for a free one. */
  poolSize?: number;
  /** The server cancels a statement that runs (or waits for a lock) longer than this. */
  statementTimeoutMs?: number;
  /**
   * How long a call waits for a connection, a new one or a busy pool's next free
   * one, before failing with StoreUnavailableError. A refused connection (the server
   * is down) fails at once.
   */
  connectionTimeoutMs?: number;
  /** The server ends a session that sits inside a transaction this long, releasing its locks. */
  idleInTransactionTimeoutMs?: number;
  /** Shown in `pg_stat_activity`. */
  applicationName?: string;
  /** Told about errors of idle connections (a database restart, a network cut); they never crash the process. */
  onConnectionError?: (error: Error) => void;
  /**
   * Every transaction of the pool is read-only (`default_transaction_read_only`), so
   * nothing can write through it, and opening migrates nothing: the schema must be
   * current. For reading a database without changing it (a migration's source).
   */
  readOnly?: boolean;
}

export const POOL_DEFAULTS = {
  poolSize: 10,
  statementTimeoutMs: 5_000,
  connectionTimeoutMs: 5_000,
  idleInTransactionTimeoutMs: 10_000,
  applicationName: 'santa-ladder',
} as const;

/**
 * Values as the domain keeps them: timestamps as ISO 8601 UTC strings with
 * milliseconds, dates as `YYYY-MM-DD`, amounts and counts as numbers. Set on this
 * pool only, so nothing else in the process that uses `pg` is affected.
 */
function domainTypes(): pg.TypeOverrides {
  const types = new pg.TypeOverrides();
  const { builtins } = pg.types;
  const parseTimestamp = pg.types.getTypeParser(builtins.TIMESTAMPTZ);
  types.setTypeParser(builtins.TIMESTAMPTZ, (text) => (parseTimestamp(text) as Date).toISOString());
  types.setTypeParser(builtins.DATE, (text) => text);
  types.setTypeParser(builtins.NUMERIC, Number);
  types.setTypeParser(builtins.INT8, Number);
  return types;
}

export function createPool(options: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize ?? POOL_DEFAULTS.poolSize,
    statement_timeout: options.statementTimeoutMs ?? POOL_DEFAULTS.statementTimeoutMs,
    idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs ?? POOL_DEFAULTS.idleInTransactionTimeoutMs,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? POOL_DEFAULTS.connectionTimeoutMs,
    application_name: options.applicationName ?? POOL_DEFAULTS.applicationName,
    ...(options.readOnly && { options: '-c default_transaction_read_only=on' }),
    // Notices a dead peer on an idle connection (a cut network, a crashed host).
    keepAlive: true,
    // Statements go out without waiting for the answer to the one before: a
    // transaction's BEGIN travels with its first statement.
    pipeline: true,
    types: domainTypes(),
  });
  // An idle connection that breaks (the server restarts, the network drops) is
  // reported here and removed from the pool; without a listener it would crash
  // the process. The next query opens a new connection.
  pool.on('error', (error) => options.onConnectionError?.(error));
  return pool;
}

/**
 * SQLSTATE classes that mean the database cannot serve us right now, not that the
 * request is wrong: 08 connection exception, 53 insufficient resources (too many
 * connections, disk full), 57 operator intervention (shutdown, restart, statement
 * timeout), 58 system error (I/O).
 */
const UNAVAILABLE_SQLSTATE_CLASSES = new Set(['08', '53', '57', '58']);

/** 40001 serialization failure, 40P01 deadlock: transient, safe to retry. */
const TRANSIENT_SQLSTATES = new Set(['40001', '40P01']);

/** Errors of the socket under a connection. */
const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * What `pg` and its pool throw, without a code, when a connection is lost or none
 * can be had in time.
 */
const CONNECTION_LOST_MESSAGES = new RegExp(
  '^(' +
    [
      'Connection terminated',
      'timeout exceeded when trying to connect',
      'Client has encountered a connection error',
      'Client was closed',
      'Connection closed',
    ].join('|') +
    ')',
);

export function isUnavailableError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_ERROR_CODES.has(code) || TRANSIENT_SQLSTATES.has(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code) && UNAVAILABLE_SQLSTATE_CLASSES.has(code.slice(0, 2))) return true;
  }
  if (error instanceof AggregateError) return error.errors.some(isUnavailableError);
  return CONNECTION_LOST_MESSAGES.test(error.message);
}

/** Turns "the database is down, restarting or overloaded" into StoreUnavailableError; anything else stays as it is. */
export function toStoreError(error: unknown): unknown {
  if (error instanceof StoreUnavailableError || !isUnavailableError(error)) return error;
  const code = (error as { code?: unknown }).code;
  const detail =
    code === '57014'
      ? 'The database took too long to answer; retry shortly.'
      : typeof code === 'string' && TRANSIENT_SQLSTATES.has(code)
        ? 'A concurrent write got in the way; retry shortly.'
        : 'The database is unavailable; retry shortly.';
  return new StoreUnavailableError(detail, 1, { cause: error });
}
