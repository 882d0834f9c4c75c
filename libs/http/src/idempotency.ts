import type { Request, Response } from 'express';
import {
  DomainError,
  LIMITS,
  idempotencyKeyHash,
  idempotencyRequestHash,
  isDomainError,
  isIdempotencyKey,
  sealResponse,
  unsealResponse,
  type ExchangeStore,
  type IdempotencyIntent,
  type IdempotencyRecord,
  type IdempotencyScope,
} from '@santa/domain';
import type { RawBody } from './body';
import { sendSerializedJson } from './respond';

/** A successful response, built from what the write returned. */
export interface Rendered {
  status: number;
  body: unknown;
}

export interface IdempotentWrite<R> {
  /** Validates the request and writes, handing `intent` to the store write when the request has a key. */
  write(intent: IdempotencyIntent<R> | undefined): Promise<R>;
  /** Must depend only on the result (and values fixed before the write), so the recorded copy is what was sent. */
  render(result: R): Rendered;
}

export interface IdempotencyContext {
  store: ExchangeStore;
  clock: () => number;
}

const NO_BYTES = Buffer.alloc(0);

/**
 * Runs a POST under its Idempotency-Key. A repeat of a request that succeeded within
 * 24 hours gets the first response again and changes nothing; the same key with a
 * different request is refused. The response is recorded by the store in the same
 * transaction as the write, sealed with the key, so a crash never leaves one without
 * the other and the store never holds a fresh token in the clear. Only successes are
 * recorded: a request that failed changed nothing and may simply be retried.
 */
export async function respondIdempotently<R>(
  context: IdempotencyContext,
  req: Request,
  res: Response,
  request: { credentialHash: string; body: RawBody | null },
  operation: IdempotentWrite<R>,
): Promise<void> {
  const key = req.headers['idempotency-key'];
  if (key === undefined) {
    const { status, body } = operation.render(await operation.write(undefined));
    sendSerializedJson(res, status, JSON.stringify(body));
    return;
  }
  if (Array.isArray(key) || !isIdempotencyKey(key)) {
    throw new DomainError(
      'validation_failed',
      `The Idempotency-Key header must be 1 to ${LIMITS.idempotencyKeyMax} visible ASCII characters.`,
    );
  }

  const scope: IdempotencyScope = { method: req.method, path: canonicalPath(req.path), credentialHash: request.credentialHash };
  const keyHash = idempotencyKeyHash(scope, key);
  const requestHash = idempotencyRequestHash(request.body?.contentType ?? '', request.body?.bytes ?? NO_BYTES);
  const now = context.clock();
  const notBefore = new Date(now - LIMITS.idempotencyTtlMs).toISOString();

  const replay = (record: IdempotencyRecord): void => {
    const json = record.requestHash === requestHash ? unsealResponse(scope, key, record.sealedBody) : null;
    if (json === null) throw new DomainError('idempotency_key_reused');
    res.setHeader('Idempotent-Replayed', 'true');
    sendSerializedJson(res, record.status, json);
  };

  const existing = await context.store.getIdempotencyRecord(keyHash, notBefore);
  if (existing !== null) return replay(existing);

  let recorded: { status: number; json: string } | undefined;
  const intent: IdempotencyIntent<R> = {
    keyHash,
    requestHash,
    createdAt: new Date(now).toISOString(),
    replaceBefore: notBefore,
    respond(result) {
      const { status, body } = operation.render(result);
      recorded = { status, json: JSON.stringify(body) };
      return { status, sealedBody: sealResponse(scope, key, recorded.json) };
    },
  };

  let result: R;
  try {
    result = await operation.write(intent);
  } catch (error) {
    // A concurrent twin with the same key committed first: answer what it answered.
    if (isDomainError(error, 'idempotency_key_in_use')) {
      const twin = await context.store.getIdempotencyRecord(keyHash, notBefore);
      if (twin !== null) return replay(twin);
    }
    throw error;
  }
  if (recorded === undefined) {
    const { status, body } = operation.render(result);
    recorded = { status, json: JSON.stringify(body) };
  }
  sendSerializedJson(res, recorded.status, recorded.json);
}

/** `/API/v1/Exchanges/` and `/api/v1/exchanges` are one route, so they are one scope. */
function canonicalPath(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return (trimmed === '' ? '/' : trimmed).toLowerCase();
}
