import express, { type ErrorRequestHandler, type Express, type Request, type Response } from 'express';
import { pino, type Logger } from 'pino';
import { Registry } from 'prom-client';
import {
  DomainError,
  StoreUnavailableError,
  createDrawFunction,
  type DrawFunction,
  type ExchangeStore,
} from '@santa/domain';
import { UnauthorizedError } from './auth';
import { PayloadTooLargeError, RequestAbortedError } from './body';
import type { Handler, RouteContext } from './context';
import { createRequestMetrics } from './metrics';
import { notesOf, observeRequests } from './observe';
import { problem, sendProblem, type Problem } from './problem';
import { exchangeRoutes } from './routes/exchanges';
import { exclusionRoutes } from './routes/exclusions';
import { meRoutes } from './routes/me';
import { operationRoutes } from './routes/operations';
import { participantCsvRoutes } from './routes/participants-csv';
import { participantRoutes } from './routes/participants';
import { reminderRoutes } from './routes/reminders';
import { uiRoutes } from './ui';

export interface AppDependencies {
  store: ExchangeStore;
  /** Default: silent. */
  logger?: Logger;
  /** Default: a new registry. Pass the stage's own to expose its other metrics beside these. */
  registry?: Registry;
  /** Default: `createDrawFunction()` with the CSPRNG. */
  draw?: DrawFunction;
  /** Milliseconds since the epoch. Default: `Date.now`. */
  clock?: () => number;
  /** Exposed as `santa_stage_info{stage}` and in every log line. */
  stageName?: string;
  /** Resolves when every dependency answers. Default: `store.ping()`. */
  readiness?: () => Promise<void>;
  /** Called after a write queued e-mails in the outbox (a draw, reminders): wake the outbox worker here. */
  onMessagesQueued?: () => void;
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * The request log never holds headers, bodies or query strings to begin with; these
 * paths are a second line of defence for anything else logged through this logger
 * (an error object that carries a request or a response, say).
 */
const REDACTED_LOG_PATHS = [
  'authorization',
  'headers.authorization',
  'headers.cookie',
  'organizerToken',
  'participantToken',
  'inviteCode',
  '*.authorization',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.organizerToken',
  '*.participantToken',
  '*.inviteCode',
];

interface RouteSpec {
  path: string;
  methods: Partial<Record<Method, Handler>>;
}

/** Apps whose readiness must fail because their server is shutting down. */
const shuttingDown = new WeakSet<object>();

/** Makes `/readyz` answer 503 from now on; `serve` calls it first when shutting down. */
export function beginShutdown(app: object): void {
  shuttingDown.add(app);
}

/**
 * The HTTP API of CONTRACT.md on express 5, the same for every stage: only the store
 * behind it changes. Handlers answer with `sendJson` and throw `DomainError`s; one
 * error handler turns every error into a problem document.
 */
export function createApp(deps: AppDependencies): Express {
  const { store, registry = new Registry(), clock = Date.now } = deps;
  const logger = (deps.logger ?? pino({ level: 'silent' })).child(deps.stageName === undefined ? {} : { stage: deps.stageName }, {
    redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' },
  });
  const context: RouteContext = { store, clock, draw: deps.draw ?? createDrawFunction(), onMessagesQueued: deps.onMessagesQueued };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  const exchanges = exchangeRoutes(context);
  const participants = participantRoutes(context);
  const csv = participantCsvRoutes(context);
  const exclusions = exclusionRoutes(context);
  const me = meRoutes(context);
  const reminders = reminderRoutes(context);
  const operations = operationRoutes({
    registry,
    readiness: deps.readiness ?? (() => store.ping()),
    isShuttingDown: () => shuttingDown.has(app),
  });

  // The benchmarked reads come first: express tries routes in order.
  const routes: RouteSpec[] = [
    { path: '/api/v1/me', methods: { GET: me.read } },
    { path: '/api/v1/exchanges/:id', methods: { GET: exchanges.read } },
    { path: '/api/v1/me/wishlist', methods: { PUT: me.updateWishlist } },
    { path: '/api/v1/exchanges', methods: { POST: exchanges.create } },
    { path: '/api/v1/exchanges/:id/participants', methods: { GET: participants.list, POST: participants.add } },
    { path: '/api/v1/exchanges/:id/participants.csv', methods: { GET: csv.export, POST: csv.import } },
    { path: '/api/v1/exchanges/:id/participants/:pid', methods: { DELETE: participants.remove } },
    { path: '/api/v1/exchanges/:id/join', methods: { POST: participants.join } },
    { path: '/api/v1/exchanges/:id/exclusions', methods: { GET: exclusions.list, PUT: exclusions.replace } },
    { path: '/api/v1/exchanges/:id/draw', methods: { POST: exchanges.draw } },
    { path: '/api/v1/exchanges/:id/reminders', methods: { POST: reminders.queue } },
    { path: '/api/v1/openapi.json', methods: { GET: operations.openapi } },
    { path: '/healthz', methods: { GET: operations.health } },
    { path: '/readyz', methods: { GET: operations.ready } },
    { path: '/metrics', methods: { GET: operations.metrics } },
    // The browser UI (libs/http/ui): pages whose secrets stay in the URL fragment.
    ...uiRoutes(),
  ];

  app.use(observeRequests(logger, createRequestMetrics(registry, deps.stageName)));
  for (const { path, methods } of routes) mount(app, path, methods);
  app.use((_req, _res, next) => next(new DomainError('not_found', 'No such resource.')));
  app.use(errorHandler(logger));
  return app;
}

function mount(app: Express, path: string, methods: Partial<Record<Method, Handler>>): void {
  const route = app.route(path);
  for (const [method, handler] of Object.entries(methods) as [Method, Handler][]) {
    // Noting the route inside the handler saves a middleware layer on every request.
    const noted: Handler = (req, res) => {
      notesOf(res).route = path;
      return handler(req, res);
    };
    // Express answers HEAD with the GET handler, without the body.
    route[method.toLowerCase() as Lowercase<Method>](noted);
  }
  const allow = [...Object.keys(methods), ...('GET' in methods ? ['HEAD'] : []), 'OPTIONS'].join(', ');
  route.all((req: Request, res: Response) => {
    notesOf(res).route = path;
    res.setHeader('Allow', allow);
    if (req.method === 'OPTIONS') {
      res.statusCode = 204;
      res.end();
      return;
    }
    throw new DomainError('method_not_allowed', `${req.method} is not allowed here; allowed: ${allow}.`);
  });
}

interface Answer {
  document: Problem;
  headers?: Record<string, string>;
}

/** Every error a handler throws, as the problem document the client gets. */
function toAnswer(error: unknown): Answer {
  if (error instanceof UnauthorizedError) {
    return { document: problem(error.code, error.detail), headers: { 'WWW-Authenticate': error.challenge } };
  }
  if (error instanceof StoreUnavailableError) {
    return { document: problem(error.code, error.detail), headers: { 'Retry-After': String(error.retryAfterSeconds) } };
  }
  if (error instanceof PayloadTooLargeError) {
    // The rest of the body was never read: closing is cheaper than draining it.
    return { document: problem(error.code, error.detail), headers: { Connection: 'close' } };
  }
  if (error instanceof DomainError) {
    const headers = error.code === 'service_unavailable' ? { 'Retry-After': '1' } : undefined;
    return { document: problem(error.code, error.detail, error.errors), headers };
  }
  // Express itself answers a path it cannot percent-decode with a 400 error: that path names nothing.
  if (typeof error === 'object' && error !== null && (error as { status?: unknown }).status === 400) {
    return { document: problem('not_found', 'The path is not valid.') };
  }
  return { document: problem('internal_error', 'Something went wrong on our side; the request may be retried.') };
}

function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, _req, res, _next) => {
    const notes = notesOf(res);
    if (error instanceof RequestAbortedError) {
      // Nobody is left to read an answer.
      res.destroy();
      return;
    }
    const { document, headers } = toAnswer(error);
    if (document.status >= 500) {
      const level = document.code === 'internal_error' ? 'error' : 'warn';
      logger[level]({ err: error, reqId: notes.requestId }, 'request failed');
    }
    notes.problemCode = document.code;
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendProblem(res, document, headers);
  };
}
