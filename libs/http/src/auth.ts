import type { IncomingMessage } from 'node:http';
import { DomainError, hashSecret, type ExchangeRecord, type ExchangeStore } from '@santa/domain';

/** RFC 6750 `b64token`, after `Bearer` and at least one space; the scheme is case-insensitive. */
const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * 401. `tokenPresented` decides the RFC 6750 challenge: a request without a token
 * gets a bare challenge, a request with a wrong one gets `error="invalid_token"`.
 */
export class UnauthorizedError extends DomainError {
  constructor(readonly tokenPresented: boolean) {
    super(
      'unauthorized',
      tokenPresented ? 'The token is not valid here.' : 'This route needs an Authorization: Bearer token.',
    );
  }

  get challenge(): string {
    return this.tokenPresented ? 'Bearer realm="santa-ladder", error="invalid_token"' : 'Bearer realm="santa-ladder"';
  }
}

export function notFound(detail = 'Not found.'): DomainError {
  return new DomainError('not_found', detail);
}

/** The bearer token of the request; 401 when there is none. */
export function requireBearerToken(req: IncomingMessage): string {
  const header = req.headers.authorization;
  const token = header === undefined ? undefined : BEARER.exec(header)?.[1];
  if (token === undefined) throw new UnauthorizedError(header !== undefined);
  return token;
}

export interface OrganizerAccess {
  exchange: ExchangeRecord;
  /** Hash of the organizer token: the credential that scopes Idempotency-Keys. */
  tokenHash: string;
}

/**
 * The organizer's exchange, in one store call. An unknown token is 401; a valid token
 * for another exchange is 404, like an exchange that does not exist, so a token never
 * tells which exchanges exist. A path id that is not a UUID is simply never equal.
 */
export async function authorizeOrganizer(
  store: ExchangeStore,
  req: IncomingMessage,
  exchangeId: string,
): Promise<OrganizerAccess> {
  const tokenHash = hashSecret(requireBearerToken(req));
  const exchange = await store.getExchangeByOrganizerTokenHash(tokenHash);
  if (exchange === null) throw new UnauthorizedError(true);
  if (exchange.id !== exchangeId) throw notFound('No such exchange.');
  return { exchange, tokenHash };
}
