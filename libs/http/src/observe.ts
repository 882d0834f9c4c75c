import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import type { RequestMetrics } from './metrics';

/** A client's request id is kept when it is short and plain, so it is safe to log and echo. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:@-]{1,128}$/;

/** What handlers note about a request for its log line and metrics (kept in `res.locals`). */
export interface RequestNotes {
  requestId: string;
  /** The route template that matched, e.g. `/api/v1/exchanges/:id`. */
  route?: string;
  /** The problem code of an error response. */
  problemCode?: string;
}

export function notesOf(res: Response): RequestNotes {
  return res.locals as RequestNotes;
}

/**
 * One log line and one histogram observation per request, when its response is done
 * (or the connection dropped). This is pino without pino-http on purpose: pino-http
 * builds two child loggers per request and serialises the request eagerly, which
 * costs more than the rest of the hot path; this line holds the same fields. It logs
 * no header, no body and no query string, so no token can reach the log.
 */
export function observeRequests(logger: Logger, metrics: RequestMetrics) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = performance.now();
    const given = req.headers['x-request-id'];
    const requestId = typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : randomUUID();
    const notes = notesOf(res);
    notes.requestId = requestId;
    res.setHeader('X-Request-Id', requestId);

    res.once('close', () => {
      const seconds = (performance.now() - started) / 1000;
      const route = notes.route ?? 'unmatched';
      metrics.observe(req.method, route, res.statusCode, seconds);
      if (!logger.isLevelEnabled('info')) return;
      const url = req.originalUrl;
      const query = url.indexOf('?');
      logger.info(
        {
          reqId: requestId,
          method: req.method,
          route,
          path: query === -1 ? url : url.slice(0, query),
          status: res.statusCode,
          durationMs: Math.round(seconds * 1e6) / 1e3,
          ...(notes.problemCode !== undefined && { code: notes.problemCode }),
          ...(!res.writableFinished && { aborted: true }),
        },
        'request',
      );
    });
    next();
  };
}
