import type {
  ExchangeRecord,
  ExchangeStatus,
  Exclusion,
  IdempotencyRecord,
  MeView,
  NewExchange,
  OutboxDelivery,
  OutboxKind,
  OutboxMessageRecord,
  OutboxStatus,
  Participant,
  ParticipantRecord,
} from '@santa/domain';

/**
 * Rows as `pg` returns them with the pool's type parsers (see pool.ts): timestamps
 * are ISO strings, dates `YYYY-MM-DD`, numerics and counts numbers.
 */

export interface ExchangeRow {
  id: string;
  name: string;
  budget_amount: number | null;
  budget_currency: string | null;
  exchange_date: string | null;
  single_cycle: boolean;
  status: ExchangeStatus;
  created_at: string;
  drawn_at: string | null;
  organizer_token_hash: string;
  invite_code_hash: string;
  participant_count: number;
  wishlist_count: number;
  exclusion_count: number;
}

export interface ParticipantRow {
  id: string;
  exchange_id: string;
  name: string;
  email: string;
  wishlist: string;
  joined_at: string;
  token_hash: string;
}

export type ParticipantPageRow = Omit<ParticipantRow, 'exchange_id' | 'token_hash'>;

export interface MeViewRow extends ExchangeRow {
  participant_id: string;
  participant_name: string;
  participant_email: string;
  participant_wishlist: string;
  participant_joined_at: string;
  participant_token_hash: string;
  giftee_id: string | null;
  giftee_name: string | null;
  giftee_wishlist: string | null;
}

export interface ExclusionRow {
  giver_id: string;
  receiver_id: string;
}

export interface IdempotencyRow {
  key_hash: string;
  request_hash: string;
  status: number;
  sealed_body: string;
  created_at: string;
}

/** The parameters of SQL.insertExchange, in order. */
export function exchangeParameters(exchange: NewExchange): unknown[] {
  return [
    exchange.id,
    exchange.name,
    exchange.budget?.amount ?? null,
    exchange.budget?.currency ?? null,
    exchange.exchangeDate,
    exchange.rules.singleCycle,
    exchange.status,
    exchange.createdAt,
    exchange.drawnAt,
    exchange.organizerTokenHash,
    exchange.inviteCodeHash,
  ];
}

export function rowToExchange(row: ExchangeRow): ExchangeRecord {
  return {
    id: row.id,
    name: row.name,
    budget:
      row.budget_amount === null || row.budget_currency === null
        ? null
        : { amount: row.budget_amount, currency: row.budget_currency },
    exchangeDate: row.exchange_date,
    rules: { singleCycle: row.single_cycle },
    status: row.status,
    createdAt: row.created_at,
    drawnAt: row.drawn_at,
    organizerTokenHash: row.organizer_token_hash,
    inviteCodeHash: row.invite_code_hash,
    participantCount: row.participant_count,
    wishlistCount: row.wishlist_count,
    exclusionCount: row.exclusion_count,
  };
}

export function rowToParticipantRecord(row: ParticipantRow): ParticipantRecord {
  return {
    id: row.id,
    exchangeId: row.exchange_id,
    name: row.name,
    email: row.email,
    wishlist: row.wishlist,
    joinedAt: row.joined_at,
    tokenHash: row.token_hash,
  };
}

export function rowToParticipant(row: ParticipantPageRow): Participant {
  return { id: row.id, name: row.name, email: row.email, wishlist: row.wishlist, joinedAt: row.joined_at };
}

export function rowToExclusion(row: ExclusionRow): Exclusion {
  return { giverId: row.giver_id, receiverId: row.receiver_id };
}

export function rowToMeView(row: MeViewRow): MeView {
  return {
    participant: {
      id: row.participant_id,
      exchangeId: row.id,
      name: row.participant_name,
      email: row.participant_email,
      wishlist: row.participant_wishlist,
      joinedAt: row.participant_joined_at,
      tokenHash: row.participant_token_hash,
    },
    exchange: rowToExchange(row),
    giftee:
      row.giftee_id === null
        ? null
        : { id: row.giftee_id, name: row.giftee_name ?? '', wishlist: row.giftee_wishlist ?? '' },
  };
}

export function rowToIdempotencyRecord(row: IdempotencyRow): IdempotencyRecord {
  return {
    keyHash: row.key_hash,
    requestHash: row.request_hash,
    status: row.status,
    sealedBody: row.sealed_body,
    createdAt: row.created_at,
  };
}

export interface OutboxMessageRow {
  id: string;
  exchange_id: string;
  participant_id: string;
  kind: OutboxKind;
  status: OutboxStatus;
  created_at: string;
  attempts: number;
  next_attempt_at: string;
  claimed_until: string | null;
  last_error: string | null;
  sent_at: string | null;
}

export interface DueOutboxRow extends OutboxMessageRow {
  participant_name: string;
  participant_email: string;
  exchange_name: string;
  exchange_date: string | null;
  budget_amount: number | null;
  budget_currency: string | null;
}

export function rowToOutboxMessage(row: OutboxMessageRow): OutboxMessageRecord {
  return {
    id: row.id,
    exchangeId: row.exchange_id,
    participantId: row.participant_id,
    kind: row.kind,
    status: row.status,
    createdAt: row.created_at,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    claimedUntil: row.claimed_until,
    lastError: row.last_error,
    sentAt: row.sent_at,
  };
}

/** A due row as the claim leased it: one more attempt, held until `leaseUntil`, with its link. */
export function rowToDelivery(row: DueOutboxRow, leaseUntil: string, linkTokenHash: string): OutboxDelivery {
  return {
    message: { ...rowToOutboxMessage(row), attempts: row.attempts + 1, claimedUntil: leaseUntil },
    linkTokenHash,
    participant: { id: row.participant_id, name: row.participant_name, email: row.participant_email },
    exchange: {
      id: row.exchange_id,
      name: row.exchange_name,
      exchangeDate: row.exchange_date,
      budget:
        row.budget_amount === null || row.budget_currency === null
          ? null
          : { amount: row.budget_amount, currency: row.budget_currency },
    },
  };
}
