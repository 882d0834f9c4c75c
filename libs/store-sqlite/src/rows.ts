import type {
  ExchangeRecord,
  IdempotencyRecord,
  MeView,
  NewExchange,
  OutboxDelivery,
  OutboxKind,
  OutboxMessageRecord,
  OutboxStatus,
  Participant,
  ParticipantLinkRecord,
  ParticipantRecord,
} from '@santa/domain';

/** Rows as SQLite returns them: snake_case columns, booleans as 0/1. */

export interface ExchangeRow {
  id: string;
  name: string;
  budget_amount: number | null;
  budget_currency: string | null;
  exchange_date: string | null;
  single_cycle: number;
  status: 'open' | 'drawn';
  created_at: string;
  drawn_at: string | null;
  organizer_token_hash: string;
  invite_code_hash: string;
  participant_count: number;
  wishlist_count: number;
  exclusion_count: number;
}

export type ExchangeInsert = Omit<ExchangeRow, 'participant_count' | 'wishlist_count' | 'exclusion_count'>;

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
  p_id: string;
  p_name: string;
  p_email: string;
  p_wishlist: string;
  p_joined_at: string;
  p_token_hash: string;
  g_id: string | null;
  g_name: string | null;
  g_wishlist: string | null;
}

export interface IdempotencyRow {
  key_hash: string;
  request_hash: string;
  status: number;
  sealed_body: string;
  created_at: string;
}

export function exchangeToRow(exchange: NewExchange): ExchangeInsert {
  return {
    id: exchange.id,
    name: exchange.name,
    budget_amount: exchange.budget?.amount ?? null,
    budget_currency: exchange.budget?.currency ?? null,
    exchange_date: exchange.exchangeDate,
    single_cycle: exchange.rules.singleCycle ? 1 : 0,
    status: exchange.status,
    created_at: exchange.createdAt,
    drawn_at: exchange.drawnAt,
    organizer_token_hash: exchange.organizerTokenHash,
    invite_code_hash: exchange.inviteCodeHash,
  };
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
    rules: { singleCycle: row.single_cycle === 1 },
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

export function rowToMeView(row: MeViewRow): MeView {
  return {
    participant: {
      id: row.p_id,
      exchangeId: row.id,
      name: row.p_name,
      email: row.p_email,
      wishlist: row.p_wishlist,
      joinedAt: row.p_joined_at,
      tokenHash: row.p_token_hash,
    },
    exchange: rowToExchange(row),
    giftee:
      row.g_id === null || row.g_name === null || row.g_wishlist === null
        ? null
        : { id: row.g_id, name: row.g_name, wishlist: row.g_wishlist },
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

export interface ParticipantLinkRow {
  token_hash: string;
  exchange_id: string;
  participant_id: string;
  message_id: string;
  created_at: string;
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

export function rowToParticipantLink(row: ParticipantLinkRow): ParticipantLinkRecord {
  return {
    tokenHash: row.token_hash,
    exchangeId: row.exchange_id,
    participantId: row.participant_id,
    messageId: row.message_id,
    createdAt: row.created_at,
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
