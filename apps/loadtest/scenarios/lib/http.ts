import { check, sleep } from 'k6';
import { randomBytes } from 'k6/crypto';
import http, { type RefinedResponse, type ResponseType } from 'k6/http';
import { Counter } from 'k6/metrics';

/**
 * Every request carries a `name` tag, so k6 keeps one set of numbers per route rather
 * than per URL (every exchange has its own URL).
 */
export const ROUTES = {
  me: 'GET /me',
  exchange: 'GET /exchanges/:id',
  wishlist: 'PUT /me/wishlist',
  join: 'POST /exchanges/:id/join',
  createExchange: 'POST /exchanges',
  addParticipant: 'POST /exchanges/:id/participants',
  draw: 'POST /exchanges/:id/draw',
} as const;

export type RouteName = (typeof ROUTES)[keyof typeof ROUTES];

/** Well above any healthy answer; a request stuck this long counts as failed (and a POST is retried). */
const REQUEST_TIMEOUT = '10s';

/** A POST that fails this way may not have reached the application, or its answer got lost. */
const RETRYABLE_STATUSES = [502, 503];
/** Seconds to wait before each retry; each wait is jittered by ±50% so retries do not march in step. */
const RETRY_BACKOFF_S = [0.05, 0.1, 0.2];

/** How many POST attempts were repeated with the same Idempotency-Key, by route. */
export const retriedRequests = new Counter('retried_requests');

/**
 * An attempt that will be retried is not a failure of the request yet: only the last
 * attempt's outcome counts in `http_req_failed`. (Status 0 is a connection error.)
 */
const successOrRetryable = http.expectedStatuses({ min: 200, max: 399 }, 0, ...RETRYABLE_STATUSES);
const success = http.expectedStatuses({ min: 200, max: 399 });

export interface Api {
  get(path: string, token: string, name: RouteName): RefinedResponse<ResponseType>;
  put(path: string, token: string, body: unknown, name: RouteName): RefinedResponse<ResponseType>;
  /**
   * Sends a POST with a fresh Idempotency-Key. A connection error, timeout, 502 or 503
   * is retried with the same key and body, up to three times with a short backoff: the
   * server answers a repeat of a request it already carried out with the first answer
   * and changes nothing, so a retry can never write twice. The response body is kept
   * (the caller usually needs what the POST created).
   */
  post(path: string, token: string | undefined, body: unknown, name: RouteName): RefinedResponse<'text'>;
}

export function api(baseUrl: string): Api {
  const base = `${baseUrl}/api/v1`;
  return {
    get(path, token, name) {
      return http.get(`${base}${path}`, { headers: { Authorization: `Bearer ${token}` }, tags: { name }, timeout: REQUEST_TIMEOUT });
    },
    put(path, token, body, name) {
      return http.put(`${base}${path}`, JSON.stringify(body), {
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        tags: { name },
        timeout: REQUEST_TIMEOUT,
      });
    },
    post(path, token, body, name) {
      const headers: Record<string, string> = { 'Content-Type': 'application/json', 'Idempotency-Key': randomHex(16) };
      if (token !== undefined) headers.Authorization = `Bearer ${token}`;
      const payload = JSON.stringify(body);
      for (let attempt = 0; ; attempt += 1) {
        const last = attempt === RETRY_BACKOFF_S.length;
        const response = http.post(`${base}${path}`, payload, {
          headers,
          tags: { name },
          timeout: REQUEST_TIMEOUT,
          responseType: 'text',
          responseCallback: last ? success : successOrRetryable,
        });
        if (last || !(response.status === 0 || RETRYABLE_STATUSES.includes(response.status))) return response;
        retriedRequests.add(1, { name });
        sleep((RETRY_BACKOFF_S[attempt] as number) * (0.5 + Math.random()));
      }
    },
  };
}

/** Records a check named after the route and the status it expects; true when it held. */
export function expectStatus(response: { status: number }, name: RouteName, status: number): boolean {
  return check(response, { [`${name} ${status}`]: (r) => r.status === status });
}

/** The parsed JSON body of a response whose check passed, or undefined when it is not JSON. */
export function jsonBody<T>(response: RefinedResponse<'text'>): T | undefined {
  try {
    return JSON.parse(response.body) as T;
  } catch {
    return undefined;
  }
}

/** Hex from a CSPRNG: idempotency keys and unique e-mail addresses. */
export function randomHex(bytes: number): string {
  return Array.from(new Uint8Array(randomBytes(bytes)), (byte) => byte.toString(16).padStart(2, '0')).join('');
}
