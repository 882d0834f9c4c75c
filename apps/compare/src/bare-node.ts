/**
 * The floor of the floor: `node:http` answering `GET /api/v1/me` with a fixed body,
 * no framework, no store, no logging. What one Node process spends on HTTP alone on
 * this machine; the ceiling's figures over these say what express, validation,
 * logging and metrics cost.
 *
 *   node --import tsx apps/compare/src/bare-node.ts [--port N]
 *
 * The body is a real `/me` answer with the real headers, taken once at start from
 * the HTTP app over a small in-memory dataset, so it has the same shape and size as
 * what the stages send. Prints `ready <url>`.
 */
import { createServer, type OutgoingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { loadDataset } from '@santa/dataset';
import { createApp, serve } from '@santa/http';
import { createMemoryStore } from '@santa/store-memory';
import { positiveInteger } from './args';
import { requireBulk } from './stores';

/** Headers that belong to one connection or moment, not to the answer. */
const PER_RESPONSE_HEADERS = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding']);

/** A real `GET /me` answer (status, headers, body) from the HTTP app over a tiny dataset. */
export async function sampleMeAnswer(): Promise<{ headers: OutgoingHttpHeaders; body: Buffer }> {
  const store = createMemoryStore();
  const { tokens } = await loadDataset(requireBulk(store, 'memory'), { seed: 1, participants: 100 });
  const served = await serve(createApp({ store }), { port: 0, signals: [] });
  try {
    const response = await fetch(`${served.url}/api/v1/me`, { headers: { authorization: `Bearer ${tokens.participantTokens[0]}` } });
    const body = Buffer.from(await response.arrayBuffer());
    if (response.status !== 200) throw new Error(`the sample /me answered ${response.status}: ${body.toString()}`);
    const headers: OutgoingHttpHeaders = {};
    response.headers.forEach((value, name) => {
      if (!PER_RESPONSE_HEADERS.has(name)) headers[name] = value;
    });
    return { headers, body };
  } finally {
    await served.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: process.env.PORT ?? '0' },
      host: { type: 'string', default: process.env.HOST ?? '127.0.0.1' },
    },
  });
  const port = positiveInteger('port', values.port, 0, 65_535);
  const me = await sampleMeAnswer();
  const ok = Buffer.from('{"status":"ok"}');
  const okHeaders = { 'content-type': 'application/json; charset=utf-8', 'content-length': ok.length, 'cache-control': 'no-store' };

  const server = createServer({ keepAliveTimeout: 65_000, headersTimeout: 66_000 }, (req, res) => {
    const path = req.url?.split('?', 1)[0];
    if (req.method === 'GET' && path === '/api/v1/me') {
      res.writeHead(200, me.headers);
      res.end(me.body);
    } else if (req.method === 'GET' && (path === '/healthz' || path === '/readyz')) {
      res.writeHead(200, okHeaders);
      res.end(ok);
    } else {
      res.writeHead(404, { 'content-length': 0 });
      res.end();
    }
  });
  server.listen(port, values.host, () => {
    const address = server.address() as AddressInfo;
    process.stdout.write(`ready http://${address.address}:${address.port}\n`);
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      server.close(() => process.exit(0));
      server.closeIdleConnections();
      setTimeout(() => process.exit(0), 2_000).unref();
    });
  }
}
