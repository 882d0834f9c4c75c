import type { ServerResponse } from 'node:http';
import { ERROR_CODES, type ErrorCode, type FieldError } from '@santa/domain';

/**
 * RFC 9457 problem documents. `type` is a URN per code, `title` is the same for every
 * occurrence of a code, `detail` explains this occurrence.
 */

/** The one code the domain does not define: something broke that no client can cause. */
export type ProblemCode = ErrorCode | 'internal_error';

export const PROBLEM_TITLES: Record<ProblemCode, string> = {
  ...ERROR_CODES,
  internal_error: 'The server failed to answer this request.',
};

export const PROBLEM_STATUS: Record<ProblemCode, number> = {
  validation_failed: 422,
  malformed_json: 400,
  malformed_csv: 400,
  unsupported_media_type: 415,
  payload_too_large: 413,
  unauthorized: 401,
  not_found: 404,
  method_not_allowed: 405,
  already_drawn: 409,
  duplicate_email: 409,
  // The request is fine in itself; the exchange's current size refuses it.
  participant_limit: 409,
  too_few_participants: 422,
  infeasible_draw: 422,
  single_cycle_not_found: 422,
  idempotency_key_reused: 422,
  idempotency_key_in_use: 409,
  service_unavailable: 503,
  internal_error: 500,
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ProblemCode;
  errors?: FieldError[];
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

export function problemType(code: ProblemCode): string {
  return `urn:santa-ladder:problem:${code}`;
}

export function problem(code: ProblemCode, detail: string = PROBLEM_TITLES[code], errors?: FieldError[]): Problem {
  const document: Problem = {
    type: problemType(code),
    title: PROBLEM_TITLES[code],
    status: PROBLEM_STATUS[code],
    detail,
    code,
  };
  if (errors !== undefined && errors.length > 0) document.errors = errors;
  return document;
}

export function sendProblem(res: ServerResponse, document: Problem, headers?: Record<string, string>): void {
  const body = JSON.stringify(document);
  res.statusCode = document.status;
  if (headers) for (const name in headers) res.setHeader(name, headers[name] as string);
  res.setHeader('Content-Type', PROBLEM_CONTENT_TYPE);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.end(body);
}
