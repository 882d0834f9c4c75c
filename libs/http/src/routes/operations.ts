import type { Registry } from 'prom-client';
import { DomainError, StoreUnavailableError, isDomainError } from '@santa/domain';
import type { Handler } from '../context';
import { openApiDocument } from '../openapi';
import { sendJson, sendSerializedJson } from '../respond';

/** A readiness check that hangs is a failed one: load balancers give up after a few seconds. */
const READINESS_TIMEOUT_MS = 2_000;

export interface OperationsContext {
  registry: Registry;
  readiness: () => Promise<void>;
  isShuttingDown: () => boolean;
}

function withTimeout(check: () => Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StoreUnavailableError(`The readiness check took longer than ${ms} ms.`)), ms);
  });
  return Promise.race([check(), timeout]).finally(() => clearTimeout(timer));
}

export function operationRoutes({ registry, readiness, isShuttingDown }: OperationsContext): Record<
  'health' | 'ready' | 'metrics' | 'openapi',
  Handler
> {
  let openApiJson: string | undefined;

  return {
    /** GET /healthz: the process is alive and its event loop answers. */
    health(_req, res) {
      sendJson(res, 200, { status: 'ok' });
    },

    /** GET /readyz: fails first when shutting down, so a load balancer stops sending traffic. */
    async ready(_req, res) {
      if (isShuttingDown()) throw new DomainError('service_unavailable', 'The server is shutting down.');
      try {
        await withTimeout(readiness, READINESS_TIMEOUT_MS);
      } catch (error) {
        // The error handler logs it, cause included; the client learns only that we are not ready.
        throw isDomainError(error, 'service_unavailable')
          ? error
          : new StoreUnavailableError('A dependency is not ready.', 1, { cause: error });
      }
      sendJson(res, 200, { status: 'ready' });
    },

    /** GET /metrics: Prometheus text format. */
    async metrics(_req, res) {
      const text = await registry.metrics();
      res.statusCode = 200;
      res.setHeader('Content-Type', registry.contentType);
      res.setHeader('Content-Length', Buffer.byteLength(text));
      res.setHeader('Cache-Control', 'no-store');
      res.end(text);
    },

    /** GET /api/v1/openapi.json: the contract this server implements. */
    openapi(_req, res) {
      openApiJson ??= JSON.stringify(openApiDocument());
      sendSerializedJson(res, 200, openApiJson);
    },
  };
}
