import type { IncomingMessage } from 'node:http';
import { MIMEType } from 'node:util';
import { DomainError, LIMITS } from '@santa/domain';

/**
 * Request bodies, read by hand rather than with body-parser: body-parser drains the
 * whole request before answering 413 (to keep the connection reusable), so a client
 * announcing 10 GB would be read to the end. Here an oversized body is refused from
 * its Content-Length before a byte is read, or as soon as the stream passes the
 * limit, and the connection is closed instead of drained.
 */

/** The body as received: its media type (as sent) and its bytes. Idempotency hashes both. */
export interface RawBody {
  contentType: string;
  bytes: Buffer;
}

export type BodyKind = 'json' | 'csv';

const MEDIA_TYPES: Record<BodyKind, string> = { json: 'application/json', csv: 'text/csv' };
const LIMITS_BY_KIND: Record<BodyKind, number> = { json: LIMITS.jsonBodyBytes, csv: LIMITS.csvBodyBytes };

/** The client went away while sending its body: there is nobody left to answer. */
export class RequestAbortedError extends Error {
  override readonly name = 'RequestAbortedError';
}

export class PayloadTooLargeError extends DomainError {
  constructor(limit: number) {
    super('payload_too_large', `The body must be at most ${limit} bytes (${limit / (1024 * 1024)} MiB).`);
  }
}

/** Checks the Content-Type against the one media type a route accepts; UTF-8 only. */
export function requireMediaType(req: IncomingMessage, kind: BodyKind): string {
  const expected = MEDIA_TYPES[kind];
  const header = req.headers['content-type'];
  let mediaType: MIMEType | null = null;
  try {
    if (header !== undefined) mediaType = new MIMEType(header);
  } catch {
    mediaType = null;
  }
  if (mediaType === null || mediaType.essence !== expected) {
    throw new DomainError(
      'unsupported_media_type',
      `This route takes ${expected}; the request has ${header === undefined ? 'no Content-Type' : `Content-Type ${header}`}.`,
    );
  }
  const charset = mediaType.params.get('charset')?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new DomainError('unsupported_media_type', `The body must be UTF-8, not ${charset}.`);
  }
  return header as string;
}

/** Reads the whole body, refusing one larger than `limit` bytes. */
export function readBytes(req: IncomingMessage, limit: number): Promise<Buffer> {
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
    return Promise.reject(new DomainError('unsupported_media_type', `Content-Encoding ${encoding} is not supported.`));
  }
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) return Promise.reject(new PayloadTooLargeError(limit));

  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (error: Error | null) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      if (error) reject(error);
      else resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Stop reading; the response closes the connection, so the rest is never drained.
        req.pause();
        settle(new PayloadTooLargeError(limit));
      } else {
        chunks.push(chunk);
      }
    };
    const onEnd = () => settle(null);
    const onError = () => settle(new RequestAbortedError('The client aborted the request.'));
    const onClose = () => {
      if (!req.complete) settle(new RequestAbortedError('The client closed the connection mid-body.'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/** A body of the route's media type, within its size limit. */
export async function readBody(req: IncomingMessage, kind: BodyKind): Promise<RawBody> {
  const contentType = requireMediaType(req, kind);
  return { contentType, bytes: await readBytes(req, LIMITS_BY_KIND[kind]) };
}

/** For routes where a body is optional: an empty body is no body, and needs no Content-Type. */
export async function readOptionalJsonBody(req: IncomingMessage): Promise<RawBody | null> {
  const bytes = await readBytes(req, LIMITS.jsonBodyBytes);
  if (bytes.length === 0) return null;
  return { contentType: requireMediaType(req, 'json'), bytes };
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The text of the body; invalid UTF-8 is malformed input, not something to guess at. */
export function decodeUtf8(bytes: Uint8Array, code: 'malformed_json' | 'malformed_csv'): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw new DomainError(code, 'The body is not valid UTF-8.');
  }
}

export function parseJson(body: RawBody): unknown {
  const text = decodeUtf8(body.bytes, 'malformed_json');
  try {
    return JSON.parse(text);
  } catch (error) {
    // V8's message can quote the body; the position is all a client needs.
    const position = /at position (\d+)/.exec((error as Error).message)?.[1];
    throw new DomainError(
      'malformed_json',
      position === undefined ? 'The body is not valid JSON.' : `The body is not valid JSON (error at character ${position}).`,
    );
  }
}
