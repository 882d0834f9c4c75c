/**
 * The entities of a gift exchange, as the store keeps them (`*Record`) and as the
 * API shows them. Records carry secrets as hashes only; the public shapes carry none.
 */

export const LIMITS = {
  exchangeName: 100,
  participantName: 100,
  email: 254,
  wishlist: 2000,
  budgetAmountMax: 1_000_000,
  participantsPerExchange: 10_000,
  minParticipantsForDraw: 3,
  pageSizeDefault: 100,
  pageSizeMax: 500,
  idempotencyKeyMax: 255,
  /** Idempotency records answer repeats for this long. */
  idempotencyTtlMs: 24 * 60 * 60 * 1000,
  jsonBodyBytes: 1024 * 1024,
  csvBodyBytes: 5 * 1024 * 1024,
} as const;

export interface Budget {
  amount: number;
  /** ISO 4217 code, upper case. */
  currency: string;
}

export interface Rules {
  /** The assignment must be one cycle through everybody. */
  singleCycle: boolean;
}

export type ExchangeStatus = 'open' | 'drawn';

/** An exchange as stored, with its counts as of the read. */
export interface ExchangeRecord {
  id: string;
  name: string;
  budget: Budget | null;
  /** `YYYY-MM-DD` */
  exchangeDate: string | null;
  rules: Rules;
  status: ExchangeStatus;
  /** ISO 8601 UTC with milliseconds. */
  createdAt: string;
  drawnAt: string | null;
  organizerTokenHash: string;
  inviteCodeHash: string;
  participantCount: number;
  /** Participants whose wishlist is not empty. */
  wishlistCount: number;
  exclusionCount: number;
}

export type NewExchange = Omit<ExchangeRecord, 'participantCount' | 'wishlistCount' | 'exclusionCount'>;

/** The exchange as the API shows it. */
export interface Exchange {
  id: string;
  name: string;
  budget: Budget | null;
  exchangeDate: string | null;
  rules: Rules;
  status: ExchangeStatus;
  participantCount: number;
  wishlistCount: number;
  exclusionCount: number;
  createdAt: string;
  drawnAt: string | null;
}

export interface ParticipantRecord {
  /** UUIDv7, so ids also sort by creation time. */
  id: string;
  exchangeId: string;
  name: string;
  email: string;
  wishlist: string;
  /** ISO 8601 UTC with milliseconds; participants list in (joinedAt, id) order. */
  joinedAt: string;
  tokenHash: string;
}

/** A participant as the API shows it. */
export interface Participant {
  id: string;
  name: string;
  email: string;
  wishlist: string;
  joinedAt: string;
}

/** Directed: the giver must not draw the receiver. */
export interface Exclusion {
  giverId: string;
  receiverId: string;
}

/** The giver gives a present to the receiver. */
export interface Assignment {
  giverId: string;
  receiverId: string;
}

/** What a participant sees of the person they give to. */
export interface Giftee {
  id: string;
  name: string;
  wishlist: string;
}

/** Everything `GET /me` answers with, read in one go. */
export interface MeView {
  participant: ParticipantRecord;
  exchange: ExchangeRecord;
  giftee: Giftee | null;
}

/** Position in the participant list: the last row of the previous page. */
export interface ParticipantCursor {
  joinedAt: string;
  id: string;
}

export function toExchange(record: ExchangeRecord): Exchange {
  return {
    id: record.id,
    name: record.name,
    budget: record.budget,
    exchangeDate: record.exchangeDate,
    rules: record.rules,
    status: record.status,
    participantCount: record.participantCount,
    wishlistCount: record.wishlistCount,
    exclusionCount: record.exclusionCount,
    createdAt: record.createdAt,
    drawnAt: record.drawnAt,
  };
}

export function toParticipant(record: ParticipantRecord): Participant {
  return {
    id: record.id,
    name: record.name,
    email: record.email,
    wishlist: record.wishlist,
    joinedAt: record.joinedAt,
  };
}

/** Emails are unique per exchange regardless of case. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}
