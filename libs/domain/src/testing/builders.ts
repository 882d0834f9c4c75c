import { LIMITS, type NewExchange, type ParticipantRecord } from '../model';
import type { DrawFunction, IdempotencyIntent } from '../port';
import { hashSecret, newInviteCode, newOrganizerToken, newParticipantToken } from '../secrets';
import { isoNow, newId } from '../ids';

/**
 * Builders of valid test data. Each returns a fresh record with unique ids, tokens and
 * e-mail addresses; `overrides` replace fields as given (an overridden hash no longer
 * matches the returned token).
 */

let sequence = 0;

function nextNumber(): number {
  sequence += 1;
  return sequence;
}

export interface ExchangeWithSecrets {
  exchange: NewExchange;
  /** The clear-text token whose hash is `exchange.organizerTokenHash`. */
  organizerToken: string;
  /** The clear-text code whose hash is `exchange.inviteCodeHash`. */
  inviteCode: string;
}

export function newExchangeWithSecrets(overrides: Partial<NewExchange> = {}): ExchangeWithSecrets {
  const organizerToken = newOrganizerToken();
  const inviteCode = newInviteCode();
  const exchange: NewExchange = {
    id: newId(),
    name: `Exchange ${nextNumber()}`,
    budget: { amount: 25, currency: 'EUR' },
    exchangeDate: '2026-12-24',
    rules: { singleCycle: false },
    status: 'open',
    createdAt: isoNow(),
    drawnAt: null,
    organizerTokenHash: hashSecret(organizerToken),
    inviteCodeHash: hashSecret(inviteCode),
    ...overrides,
  };
  return { exchange, organizerToken, inviteCode };
}

/** An open exchange, ready for `ExchangeStore.createExchange`. */
export function newExchangeRecord(overrides: Partial<NewExchange> = {}): NewExchange {
  return newExchangeWithSecrets(overrides).exchange;
}

export interface ParticipantWithToken {
  participant: ParticipantRecord;
  /** The clear-text token whose hash is `participant.tokenHash`. */
  participantToken: string;
}

export function newParticipantWithToken(
  exchangeId: string,
  overrides: Partial<ParticipantRecord> = {},
): ParticipantWithToken {
  const participantToken = newParticipantToken();
  const number = nextNumber();
  const participant: ParticipantRecord = {
    id: newId(),
    exchangeId,
    name: `Guest ${number}`,
    email: `guest${number}@example.test`,
    wishlist: '',
    joinedAt: isoNow(),
    tokenHash: hashSecret(participantToken),
    ...overrides,
  };
  return { participant, participantToken };
}

/** A participant of `exchangeId` who joins now with an empty wishlist. */
export function newParticipantRecord(exchangeId: string, overrides: Partial<ParticipantRecord> = {}): ParticipantRecord {
  return newParticipantWithToken(exchangeId, overrides).participant;
}

/** `count` participants of `exchangeId`, each built with the same overrides. */
export function newParticipantRecords(
  exchangeId: string,
  count: number,
  overrides: Partial<ParticipantRecord> = {},
): ParticipantRecord[] {
  return Array.from({ length: count }, () => newParticipantRecord(exchangeId, overrides));
}

/** An intent that remembers every result it was asked to respond to. */
export interface RecordingIdempotencyIntent<R> extends IdempotencyIntent<R> {
  readonly results: R[];
}

/**
 * An idempotency intent that stores the write's result as JSON. Stores treat the
 * sealed body as opaque text, and JSON (quotes, commas, Unicode) is a harder payload
 * for them than real sealed bodies, which are base64url.
 */
export function newIdempotencyIntent<R>(
  overrides: Partial<Omit<IdempotencyIntent<R>, 'respond'>> & { status?: number } = {},
): RecordingIdempotencyIntent<R> {
  const { status = 201, ...fields } = overrides;
  const createdAt = fields.createdAt ?? isoNow();
  const results: R[] = [];
  return {
    keyHash: hashSecret(`key ${newId()}`),
    requestHash: hashSecret(`request ${newId()}`),
    createdAt,
    replaceBefore: new Date(Date.parse(createdAt) - LIMITS.idempotencyTtlMs).toISOString(),
    ...fields,
    results,
    respond(result) {
      results.push(result);
      return { status, sealedBody: JSON.stringify(result) };
    },
  };
}

/**
 * Everybody gives to the next participant in the given order, the last to the first.
 * It ignores exclusions and rules: it is for testing stores, whose job is to store a
 * draw, not to compute one.
 */
export const drawInCircle: DrawFunction = ({ participants }) =>
  participants.map((giver, index) => ({
    giverId: giver.id,
    receiverId: participants[(index + 1) % participants.length].id,
  }));
