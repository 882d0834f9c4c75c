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
   */
  draw(
    exchangeId: string,
    drawnAt: string,
    compute: DrawFunction,
    idempotency?: IdempotencyIntent<ExchangeRecord>,
  ): Promise<ExchangeRecord>;

  /** The hot read of `GET /me`: the participant, their exchange and their giftee (after the draw). */
  getMeView(participantTokenHash: string): Promise<MeView | null>;
  /** Returns the updated participant, or null when no participant has this token. */
  updateWishlist(participantTokenHash: string, wishlist: string): Promise<ParticipantRecord | null>;
}
