import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { createTerminus } from '@godaddy/terminus';
import { pino, type Logger } from 'pino';
import { beginShutdown } from './app';

export interface ServeOptions {
  /** 0 picks a free port (tests). */
  port: number;
  /** Default: 127.0.0.1. */
  host?: string;
  /**
   * How long an idle keep-alive connection stays open. It must be longer than the
   * idle timeout of any load balancer in front (nginx `keepalive_timeout` is 60 s),
   * so the balancer closes idle connections first and never sends a request into a
   * connection Node is closing at that instant. Default: 65 s.
   */
  keepAliveTimeoutMs?: number;
  /** Time allowed to receive a request's headers; must exceed keepAliveTimeoutMs. Default: keepAliveTimeoutMs + 1 s. */
  headersTimeoutMs?: number;
  /** Time allowed to receive a whole request (a 5 MiB upload on a slow link); at least headersTimeoutMs. Default: 300 s. */
  requestTimeoutMs?: number;
  /** After readiness fails, how long to keep serving so a load balancer notices. Default: 0. */
  shutdownDelayMs?: number;
  /** How long in-flight requests may take to finish before their connections are cut. Default: 10 s. */
  shutdownTimeoutMs?: number;
  /** Runs after the server has stopped, before the process exits: close the store here. */
  onShutdown?: () => Promise<void>;
  /** Default: silent. */
  logger?: Logger;
  /** Default: SIGTERM and SIGINT. */
  signals?: NodeJS.Signals[];
}

export interface Served {
  /** `http://host:port`, with the port actually bound. */
  url: string;
  server: Server;
  /** The same graceful shutdown as a signal, without exiting the process (for tests and embedding). */
  close(): Promise<void>;
}

/** What stoppable (inside terminus) adds to the server. */
type StoppableServer = Server & { stop(callback: (error?: Error, gracefully?: boolean) => void): void };

/**
 * Serves an app until SIGTERM or SIGINT, then shuts down gracefully: readiness fails
 * first, the server keeps serving for `shutdownDelayMs` so a load balancer takes it
 * out of rotation, stops accepting connections, lets in-flight requests finish (for at
 * most `shutdownTimeoutMs`), runs `onShutdown`, and exits 0.
 */
export async function serve(app: RequestListener & object, options: ServeOptions): Promise<Served> {
  const logger = options.logger ?? pino({ level: 'silent' });
  const keepAliveTimeout = options.keepAliveTimeoutMs ?? 65_000;
  const shutdownDelayMs = options.shutdownDelayMs ?? 0;
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? 10_000;
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];

  const headersTimeout = options.headersTimeoutMs ?? keepAliveTimeout + 1_000;
  const server = createServer(
    { keepAliveTimeout, headersTimeout, requestTimeout: Math.max(options.requestTimeoutMs ?? 300_000, headersTimeout) },
    app,
  );

  const beforeStop = async () => {
    beginShutdown(app);
    logger.info({ shutdownDelayMs, shutdownTimeoutMs }, 'shutting down: readiness fails, draining');
    if (shutdownDelayMs > 0) await delay(shutdownDelayMs);
  };
  const afterStop = async () => {
    await options.onShutdown?.();
    logger.info('shut down');
  };

  const listenersBefore = new Map(signals.map((signal) => [signal, process.listeners(signal)]));
  createTerminus(server, {
    signals: [...signals],
    useExit0: true,
    timeout: shutdownTimeoutMs,
    beforeShutdown: beforeStop,
    onSignal: afterStop,
    logger: (message, error) => logger.error({ err: error }, message),
  });
  // terminus offers no way to unregister; `close` removes exactly the listeners it added.
  const terminusListeners = signals.flatMap((signal) =>
    process
      .listeners(signal)
      .filter((listener) => !listenersBefore.get(signal)?.includes(listener))
      .map((listener) => [signal, listener] as const),
  );

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      for (const [signal, listener] of terminusListeners) process.off(signal, listener);
      await beforeStop();
      await new Promise<void>((resolve, reject) =>
        (server as StoppableServer).stop((error) => (error ? reject(error) : resolve())),
      );
      await afterStop();
    })();
    return closing;
  };

  return { url: `http://${host}:${address.port}`, server, close };
}
