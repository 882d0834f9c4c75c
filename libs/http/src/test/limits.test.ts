import { request, type ClientRequest, type IncomingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenApiValidator } from '../testing';
import { createExchange, startHarness, type Harness, type Organizer } from './harness';

let harness: Harness;
let organizer: Organizer;
const validator = createOpenApiValidator();
const MiB = 1024 * 1024;

beforeAll(async () => {
  harness = await startHarness();
  organizer = await createExchange(harness);
});
afterAll(() => harness.close());

interface RawReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: unknown;
  /** How many body bytes the client had sent when the answer came. */
  sent: number;
}

/**
 * A request whose body is written by `send` until the response arrives, so a test can
 * tell whether the server answered before reading everything.
 */
function rawRequest(
  path: string,
  headers: Record<string, string | number>,
  send: (req: ClientRequest, sent: { bytes: number; answered: boolean }) => void,
): Promise<RawReply> {
  const url = new URL(path, harness.url);
  return new Promise((resolve, reject) => {
    const progress = { bytes: 0, answered: false };
    const req = request(url, { method: 'POST', headers }, (res) => {
      progress.answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const body = text === '' ? null : JSON.parse(text);
        validator.assert({ method: 'POST', path, status: res.statusCode ?? 0, headers: res.headers, body });
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, sent: progress.bytes });
      });
    });
    // The server may close the connection while the client is still sending: expected.
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (!progress.answered) reject(error);
    });
    send(req, progress);
  });
}

describe('body size limits', () => {
  it('refuses a JSON body over 1 MiB from its Content-Length, before reading it, and closes', async () => {
    const reply = await rawRequest(
      '/api/v1/exchanges',
      { 'content-type': 'application/json', 'content-length': MiB + 1 },
      (req, progress) => {
        req.write('{"name":"');
        progress.bytes = 9;
        // The rest is never sent: the answer must come anyway.
      },
    );
    expect(reply.status).toBe(413);
    expect(reply.sent).toBe(9);
    expect(reply.headers.connection).toBe('close');
    expect((reply.body as { code: string }).code).toBe('payload_too_large');
  });

  it('refuses a chunked JSON body as soon as it passes 1 MiB', async () => {
    const chunk = 'x'.repeat(64 * 1024);
    const reply = await rawRequest(
      '/api/v1/exchanges',
      { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      (req, progress) => {
        const pump = () => {
          while (!progress.answered && progress.bytes < 4 * MiB) {
            progress.bytes += chunk.length;
            if (!req.write(chunk)) {
              req.once('drain', pump);
              return;
            }
          }
        };
        pump();
      },
    );
    expect(reply.status).toBe(413);
    expect(reply.sent).toBeLessThan(4 * MiB);
  });

  it('refuses a CSV body over 5 MiB', async () => {
    const reply = await rawRequest(
      `/api/v1/exchanges/${organizer.exchangeId}/participants.csv`,
      { 'content-type': 'text/csv', 'content-length': 5 * MiB + 1, authorization: `Bearer ${organizer.organizerToken}` },
      (req) => req.write('name,email,wishlist\n'),
    );
    expect(reply.status).toBe(413);
  });

  it('reads a body of exactly 1 MiB (and finds its name too long)', async () => {
    const name = 'x'.repeat(MiB - '{"name":""}'.length);
    const reply = await harness.call('POST', '/api/v1/exchanges', { json: { name } });
    expect(reply.status).toBe(422);
    expect(reply.body.errors[0].path).toBe('/name');
  });

  it('refuses a compressed body with 415', async () => {
    const reply = await harness.call('POST', '/api/v1/exchanges', {
      json: { name: 'Office' },
      headers: { 'content-encoding': 'gzip' },
    });
    expect(reply.status).toBe(415);
  });

  it('keeps serving after refusing bodies', async () => {
    const reply = await harness.call('GET', `/api/v1/exchanges/${organizer.exchangeId}`, { token: organizer.organizerToken });
    expect(reply.status).toBe(200);
  });
});
