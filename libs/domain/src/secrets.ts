import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Tokens, invite codes and idempotency sealing. Tokens are 256 bits from the CSPRNG,
 * so a plain SHA-256 is the right hash: there is nothing to brute-force, and lookups
 * by hash stay indexable. Prefixes make a leaked token recognisable to secret scanners.
 */

export const ORGANIZER_TOKEN_PREFIX = 'so_';
export const PARTICIPANT_TOKEN_PREFIX = 'sp_';

export function newOrganizerToken(): string {
  return ORGANIZER_TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export function newParticipantToken(): string {
  return PARTICIPANT_TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/** 96 bits, URL-safe. It only lets people join, so it is shorter than a token. */
export function newInviteCode(): string {
  return randomBytes(12).toString('base64url');
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Compares a presented secret with a stored hash in constant time. */
export function secretMatchesHash(secret: string, expectedHash: string): boolean {
  const actual = Buffer.from(hashSecret(secret), 'hex');
  const expected = Buffer.from(expectedHash, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/**
 * The scope of an Idempotency-Key: the same key means the same request only for the
 * same method, path and credential, so one client cannot replay another's response.
 */
export interface IdempotencyScope {
  method: string;
  path: string;
  /** Hash of the bearer token, or '' for unauthenticated routes. */
  credentialHash: string;
}

function scopeString(scope: IdempotencyScope, key: string): string {
  return [scope.method.toUpperCase(), scope.path, scope.credentialHash, key].join('\u0000');
}

export function idempotencyKeyHash(scope: IdempotencyScope, key: string): string {
  return createHash('sha256').update('santa/idempotency/lookup\u0000').update(scopeString(scope, key)).digest('hex');
}

export function idempotencyRequestHash(contentType: string, body: Uint8Array): string {
  return createHash('sha256').update(contentType.toLowerCase()).update('\u0000').update(body).digest('hex');
}

function sealingKey(scope: IdempotencyScope, key: string): Buffer {
  // A different derivation from the lookup hash, so the stored hash does not reveal the key.
  return createHash('sha256').update('santa/idempotency/seal\u0000').update(scopeString(scope, key)).digest();
}

/** AES-256-GCM under a key only the client holds (derived from its Idempotency-Key). */
export function sealResponse(scope: IdempotencyScope, key: string, body: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealingKey(scope, key), iv);
  const encrypted = Buffer.concat([cipher.update(body, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), encrypted]).toString('base64url');
}

/** The original body, or null when the seal does not open with this key. */
export function unsealResponse(scope: IdempotencyScope, key: string, sealed: string): string | null {
  try {
    const raw = Buffer.from(sealed, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', sealingKey(scope, key), raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}
