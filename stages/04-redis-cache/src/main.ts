/**
 * Stage 04: a Redis cache in front of PostgreSQL. Stage 03 unchanged, plus a
 * cache-aside decorator around its store for the hot reads (`GET /me`, the
 * dashboard), invalidated by every write. Redis down means slower, not broken.
 */
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { z } from 'zod';
import { createCachedStore } from '@santa/cache-redis';
import { createApp, createOutboxMetrics, instrumentStore, mailEnv, readConfig, serve, serverEnv } from '@santa/http';
import { startConfiguredOutbox, type OutboxWorker } from '@santa/mail';
import { openPostgresStore } from '@santa/store-postgres';

const config = readConfig({
  ...serverEnv,
  ...mailEnv,
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL'),
  PG_POOL_SIZE: z.coerce.number().int().min(1).max(500).default(10),
  PG_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL'),
  CACHE_TTL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
});
const logger = pino({ level: config.LOG_LEVEL }, pino.destination(2));
const registry = new Registry();

const database = instrumentStore(
  await openPostgresStore({
    connectionString: config.DATABASE_URL,
    poolSize: config.PG_POOL_SIZE,
    statementTimeoutMs: config.PG_STATEMENT_TIMEOUT_MS,
    onConnectionError: (error) => logger.warn({ err: error }, 'database connection lost'),
  }),
  registry,
);
const store = createCachedStore(database, {
  redis: config.REDIS_URL,
  ttlSeconds: config.CACHE_TTL_SECONDS,
  registry,
  logger,
});

// Sends the outbox (e-mails after a draw, reminders) when SMTP is configured.
let outbox: OutboxWorker | undefined;
const app = createApp({ store, logger, registry, stageName: '04-redis-cache', onMessagesQueued: () => outbox?.wake() });
const { url } = await serve(app, {
  host: config.HOST,
  port: config.PORT,
  logger,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  onShutdown: async () => {
    await outbox?.stop();
    await store.close();
  },
});
outbox = startConfiguredOutbox(config, { store, logger, metrics: createOutboxMetrics(registry, store), serverUrl: url });
process.stdout.write(`ready ${url}\n`);
