import type {
  Assignment,
  Exclusion,
  ExchangeRecord,
  MeView,
  NewExchange,
  Participant,
  ParticipantCursor,
  ParticipantRecord,
  Rules,
} from './model';
import type { OutboxClaim, OutboxCounts, OutboxDelivery, OutboxFailure } from './outbox';

/**
 * A stored response to a POST that carried an Idempotency-Key. The body is sealed
 * (encrypted with a key derived from the client's Idempotency-Key), because it can
 * hold a freshly issued token and the store keeps no token in the clear.
 */
export interface IdempotencyRecord {
  /** Hash of the key and its scope (method, path, credential); see `idempotencyKeyHash`. */
  keyHash: string;
  /** Hash of the request body and content type: a repeat must match it. */
  requestHash: string;
  status: number;
  sealedBody: string;
  createdAt: string;
}

/**
 * Asks a store to record the response of a write in the same transaction as the
 * write itself, so a retry after a crash either finds both or neither.
 */
export interface IdempotencyIntent<R> {
  keyHash: string;
  requestHash: string;
  createdAt: string;
  /**
   * An existing record with this keyHash created before this instant has expired and
   * is replaced; a newer one means a concurrent twin won: the store throws
   * `DomainError('idempotency_key_in_use')` and writes nothing.
   */
  replaceBefore: string;
  /** Builds the stored response from the write's result; called inside the transaction. */
  respond(result: R): { status: number; sealedBody: string };
}

/** What the draw sees of a participant. */
export interface DrawParticipant {
  id: string;
  name: string;
}

export interface DrawInput {
  /** In (joinedAt, id) order, so a seeded draw is reproducible. */
  participants: DrawParticipant[];
  exclusions: Exclusion[];
  rules: Rules;
}

/** Pure: computes the assignments or throws a DomainError (infeasible_draw, ...). */
export type DrawFunction = (input: DrawInput) => Assignment[];

/**
 * The store port: everything the HTTP layer needs from storage. Each adapter
 * (CSV, SQLite, PostgreSQL, a Redis cache in front of another store) implements it
 * and passes the shared store contract suite (`@santa/domain/testing`).
 *
 * Rules every method follows:
 * - A multi-row write is atomic: all of it or none of it.
 * - Conditions a client can cause are thrown as `DomainError` with a stable code;
 *   a store that cannot be reached throws `StoreUnavailableError`.
 * - Reads return counts exact as of the read.
 */
export interface ExchangeStore {
  /** Resolves when the store can serve requests; throws StoreUnavailableError otherwise. */
  ping(): Promise<void>;
  /** Finishes pending work and releases files, connections and locks. */
  close(): Promise<void>;

  /** The record for this key, or null when there is none or it was created before `notBefore`. */
  getIdempotencyRecord(keyHash: string, notBefore: string): Promise<IdempotencyRecord | null>;
  /** Deletes records created before `before`; returns how many. */
  purgeIdempotencyRecords(before: string): Promise<number>;

  createExchange(exchange: NewExchange, idempotency?: IdempotencyIntent<ExchangeRecord>): Promise<ExchangeRecord>;
  getExchange(exchangeId: string): Promise<ExchangeRecord | null>;
  getExchangeByOrganizerTokenHash(tokenHash: string): Promise<ExchangeRecord | null>;

  /**
   * Adds participants in the given order, all or none.
   * Throws not_found (no such exchange), already_drawn, duplicate_email (also within
   * the batch; detail names the address), participant_limit.
   */
  addParticipants(
    exchangeId: string,
    participants: ParticipantRecord[],
    idempotency?: IdempotencyIntent<ParticipantRecord[]>,
  ): Promise<ParticipantRecord[]>;
  /** Participants after `after`, in (joinedAt, id) order, at most `limit`. Unknown exchange: empty. */
  listParticipants(exchangeId: string, page: { limit: number; after?: ParticipantCursor }): Promise<Participant[]>;
  /** Throws not_found (exchange or participant), already_drawn. Also removes the participant's exclusions. */
  removeParticipant(exchangeId: string, participantId: string): Promise<void>;

  listExclusions(exchangeId: string): Promise<Exclusion[]>;
  /**
   * Replaces the whole set. Throws not_found (exchange), already_drawn, and
   * validation_failed when an id is not a participant of this exchange.
   */
  replaceExclusions(exchangeId: string, exclusions: Exclusion[]): Promise<Exclusion[]>;

  /**
   * Reads participants and exclusions, runs `compute`, stores every assignment and
   * marks the exchange drawn, in one transaction that excludes concurrent joins,
   * removals, exclusion changes and draws. Throws not_found, already_drawn (also the
   * loser of two concurrent draws), or whatever `compute` throws (nothing is stored).
   * In the same transaction it queues one 'drawn' outbox message per participant,
   * due at `drawnAt`: the e-mails with the private links go out only if the draw commits.
   */
  draw(
    exchangeId: string,
    drawnAt: string,
    compute: DrawFunction,
    idempotency?: IdempotencyIntent<ExchangeRecord>,
  ): Promise<ExchangeRecord>;

  /**
   * The hot read of `GET /me`: the participant, their exchange and their giftee (after the draw).
   * The hash is of the participant's own token or of a link token they got by e-mail
   * (`ParticipantLinkRecord`); links are looked up only when no participant has it as own token.
   */
  getMeView(participantTokenHash: string): Promise<MeView | null>;
  /**
   * Returns the updated participant, or null when no participant has this token (own
   * or link token, as for `getMeView`).
   */
  updateWishlist(participantTokenHash: string, wishlist: string): Promise<ParticipantRecord | null>;

  // The e-mail outbox (libs/domain/src/outbox.ts). Messages hold no token; a worker
  // claims due messages under a lease, mints one link token per message, sends, and
  // completes or fails each one. Delivery is at least once: a worker that dies after
  // sending and before completing leaves a message that is sent again when its lease
  // runs out; its first link keeps working.

  /**
   * Queues one 'reminder' message, due at `queuedAt`, for each participant of the
   * exchange whose wishlist is empty and who has no reminder queued less than
   * `OUTBOX.reminderIntervalMs` before `queuedAt` (so a repeated request queues
   * nobody twice within the window). Open and drawn exchanges alike. Returns how many
   * it queued. Throws not_found.
   */
  queueReminders(exchangeId: string, queuedAt: string, idempotency?: IdempotencyIntent<number>): Promise<number>;
  /**
   * Claims due messages, oldest due first: status 'pending', `nextAttemptAt <= now`,
   * and no lease or an expired one (a worker that died). Each claimed message gets
   * `claimedUntil = leaseUntil`, `attempts + 1`, and one of `linkTokenHashes` stored
   * as a link credential of its participant, all in one transaction that concurrent
   * claims (other processes included) skip rather than wait for: no message is
   * claimed by two workers at once.
   */
  claimOutboxMessages(claim: OutboxClaim): Promise<OutboxDelivery[]>;
  /** Marks a pending message sent and ends its lease; a message no longer pending is left alone. */
  completeOutboxMessage(messageId: string, sentAt: string): Promise<void>;
  /**
   * Records a failed attempt of a pending message: removes the attempt's link
   * credential, keeps the error, ends the lease, and makes it due again at `retryAt`,
   * or 'failed' for good when `retryAt` is null. A message no longer pending is left alone.
   */
  failOutboxMessage(messageId: string, failure: OutboxFailure): Promise<void>;
  /** Messages waiting to be sent (pending) and failed for good, over every exchange. */
  countOutboxMessages(): Promise<OutboxCounts>;
}
