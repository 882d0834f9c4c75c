import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { ExchangeStore } from '@santa/domain';
// The HTTP tests run the app over the in-memory store, the reference adapter.
import { createMemoryStore } from '@santa/store-memory';
import { createApp, type AppDependencies } from '../app';
import { serve } from '../serve';
import { createOpenApiValidator } from '../testing';

const validator = createOpenApiValidator();

export interface Reply {
  status: number;
  headers: Headers;
  /** Parsed JSON, text for other media types, null when empty; already checked against the OpenAPI document. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read fields of many response shapes
  body: any;
  text: string;
}

export interface CallOptions {
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Serialised, with `Content-Type: application/json`. */
  json?: unknown;
  /** Sent as is, with `contentType` when given. */
  body?: string | Uint8Array;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface Harness {
  url: string;
  store: ExchangeStore;
  registry: Registry;
  /** Every log line the app wrote, parsed. */
  logs: Record<string, unknown>[];
  /** The raw log output, for scanning. */
  logText(): string;
  /** One request; the response is checked against the OpenAPI document before it is returned. */
  call(method: string, path: string, options?: CallOptions): Promise<Reply>;
  close(): Promise<void>;
}

export async function startHarness(overrides: Partial<AppDependencies> = {}): Promise<Harness> {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  const store = overrides.store ?? createMemoryStore();
  const registry = overrides.registry ?? new Registry();
  const app = createApp({ logger, registry, stageName: 'test', ...overrides, store });
  const served = await serve(app, { port: 0 });

  return {
    url: served.url,
    store,
    registry,
    get logs() {
      return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    },
    logText: () => lines.join(''),
    async call(method, path, options = {}) {
      const headers: Record<string, string> = { ...options.headers };
      if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
      let body: string | Uint8Array | undefined = options.body;
      if (options.json !== undefined) {
        body = JSON.stringify(options.json);
        headers['content-type'] ??= 'application/json';
      }
      if (options.contentType !== undefined) headers['content-type'] = options.contentType;
      const response = await fetch(served.url + path, { method, headers, body });
      const responseHeaders = response.headers;
      const text = await response.clone().text();
      const parsed = await validator.assertFetch(method, path, response);
      return { status: response.status, headers: responseHeaders, body: parsed, text };
    },
    close: () => served.close(),
  };
}

export interface Organizer {
  exchangeId: string;
  organizerToken: string;
  inviteCode: string;
}

export async function createExchange(harness: Harness, body: Record<string, unknown> = { name: 'Office' }): Promise<Organizer> {
  const reply = await harness.call('POST', '/api/v1/exchanges', { json: body });
  if (reply.status !== 201) throw new Error(`create answered ${reply.status}: ${reply.text}`);
  return { exchangeId: reply.body.exchange.id, organizerToken: reply.body.organizerToken, inviteCode: reply.body.inviteCode };
}

export interface Member {
  id: string;
  name: string;
  token: string;
}

/** Adds participants named `names` (e-mail `<name>@example.com`). */
export async function addParticipants(harness: Harness, organizer: Organizer, names: readonly string[]): Promise<Member[]> {
  const members: Member[] = [];
  for (const name of names) {
    const reply = await harness.call('POST', `/api/v1/exchanges/${organizer.exchangeId}/participants`, {
      token: organizer.organizerToken,
      json: { name, email: `${name.toLowerCase()}@example.com` },
    });
    if (reply.status !== 201) throw new Error(`add answered ${reply.status}: ${reply.text}`);
    members.push({ id: reply.body.participant.id, name, token: reply.body.participantToken });
  }
  return members;
}
