/**
 * Stage 01: CSV files. One process; every request parses the files it needs, and
 * every write rewrites a file atomically under one writer lock. Same HTTP app as
 * every stage.
 */
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { createApp, instrumentStore, serve } from '@santa/http';
import { openCsvStore } from '@santa/store-csv';
import { readStageConfig } from './config';

const config = readStageConfig(process.env);
const logger = pino({ level: config.logLevel }, pino.destination(2));
const registry = new Registry();

const store = instrumentStore(await openCsvStore({ dataDir: config.dataDir }), registry);

const app = createApp({ store, logger, registry, stageName: '01-csv' });
const { url } = await serve(app, {
  host: config.host,
  port: config.port,
  logger,
  shutdownTimeoutMs: config.shutdownTimeoutMs,
  onShutdown: () => store.close(),
});
process.stdout.write(`ready ${url}\n`);
