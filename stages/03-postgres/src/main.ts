/**
 * Stage 03: PostgreSQL. The app talks to a database server over a connection
 * pool; schema migrations run at start-up. Same HTTP app as every stage.
 */
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { createApp, instrumentStore, serve } from '@santa/http';
import { openPostgresStore } from '@santa/store-postgres';
import { readStageConfig } from './config';

const config = readStageConfig(process.env);
const logger = pino({ level: config.logLevel }, pino.destination(2));
const registry = new Registry();

const store = instrumentStore(
  await openPostgresStore({
    connectionString: config.databaseUrl,
    poolSize: config.poolSize,
    statementTimeoutMs: config.statementTimeoutMs,
    onConnectionError: (error) => logger.warn({ err: error }, 'database connection lost'),
  }),
  registry,
);

const app = createApp({ store, logger, registry, stageName: '03-postgres' });
const { url } = await serve(app, {
  host: config.host,
  port: config.port,
  logger,
  shutdownTimeoutMs: config.shutdownTimeoutMs,
  onShutdown: () => store.close(),
});
process.stdout.write(`ready ${url}\n`);
