/**
 * Stage 04: a Redis cache in front of PostgreSQL. Stage 03 unchanged, plus a
 * cache-aside decorator around its store for the hot reads (`GET /me`, the
 * dashboard), invalidated by every write. Redis down means slower, not broken.
 */
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { createCachedStore } from '@santa/cache-redis';
import { createApp, instrumentStore, serve } from '@santa/http';
import { openPostgresStore } from '@santa/store-postgres';
import { readStageConfig } from './config';

const config = readStageConfig(process.env);
const logger = pino({ level: config.logLevel }, pino.destination(2));
const registry = new Registry();

const database = instrumentStore(
  await openPostgresStore({
    connectionString: config.databaseUrl,
    poolSize: config.poolSize,
    statementTimeoutMs: config.statementTimeoutMs,
    onConnectionError: (error) => logger.warn({ err: error }, 'database connection lost'),
  }),
  registry,
);
const store = createCachedStore(database, { redis: config.redisUrl, ttlSeconds: config.cacheTtlSeconds, registry, logger });

const app = createApp({ store, logger, registry, stageName: '04-redis-cache' });
const { url } = await serve(app, {
  host: config.host,
  port: config.port,
  logger,
  shutdownTimeoutMs: config.shutdownTimeoutMs,
  onShutdown: () => store.close(),
});
process.stdout.write(`ready ${url}\n`);
