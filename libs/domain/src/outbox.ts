/**
 * The e-mail outbox: messages the store keeps until a worker has sent them, so that
 * sending never blocks or fails the request that caused it (a draw, a reminder).
 * Pure rules here; the store port (port.ts) keeps the messages, a mail adapter sends them.
 */

export type OutboxKind = 'drawn' | 'reminder';
export type OutboxStatus = 'pending' | 'sent' | 'failed';

export const OUTBOX = {
  /** A participant gets at most one reminder in this window; a repeat request queues none for them. */
  reminderIntervalMs: 60 * 60 * 1000,
  /** After this many attempts a message is failed for good. */
  maxAttempts: 8,
  /** The first retry waits this long, each next one twice as long as the one before... */
  retryBaseMs: 5_000,
  /** ...up to this. */
  retryMaxMs: 60 * 60 * 1000,
} as const;

/** One message to one participant. It holds no token or link: the link is minted when it is sent. */
export interface OutboxMessageRecord {
  /** UUIDv7. */
  id: string;
  exchangeId: string;
  participantId: string;
  kind: OutboxKind;
  status: OutboxStatus;
  createdAt: string;
  /** Claims so far, each one an attempt to send it. */
  attempts: number;
  /** Not claimed before this instant (the backoff after a failure). */
  nextAttemptAt: string;
  /** A worker holds the message until this instant; afterwards another may claim it. */
  claimedUntil: string | null;
  lastError: string | null;
  sentAt: string | null;
}

/**
 * A credential a participant received by e-mail, next to their original token: the
 * hash of a link token minted for one message. It opens `GET /me` and
 * `PUT /me/wishlist` exactly as the original token does.
 */
export interface ParticipantLinkRecord {
  tokenHash: string;
  exchangeId: string;
  participantId: string;
  /** The message whose e-mail carried it. */
  messageId: string;
  createdAt: string;
}

/** A claimed message with what its e-mail says, read in the claim's transaction. */
export interface OutboxDelivery {
  message: OutboxMessageRecord;
  /** The hash of the link token stored for this attempt (one of the claim's `linkTokenHashes`). */
  linkTokenHash: string;
  participant: { id: string; name: string; email: string };
  exchange: { id: string; name: string; exchangeDate: string | null; budget: { amount: number; currency: string } | null };
}

export interface OutboxClaim {
  /** Messages due at this instant whose lease (if any) has run out are claimable. */
  now: string;
  /** The lease of the claimed messages. */
  leaseUntil: string;
  /** One hash of a fresh link token per message wanted: claims at most this many. */
  linkTokenHashes: string[];
}

export interface OutboxFailure {
  /** The link minted for the failed attempt: removed, since its e-mail was not sent. */
  linkTokenHash: string;
  /** Why, for operators; never holds a token or a link. */
  error: string;
  /** When to try again, or null to fail the message for good. */
  retryAt: string | null;
}

export interface OutboxCounts {
  pending: number;
  failed: number;
}

/**
 * When a message that failed its `attempts`-th attempt at `failedAt` is tried again:
 * exponential backoff with full jitter over the upper half, or null after the last attempt.
 */
export function outboxRetryAt(attempts: number, failedAt: string, random: () => number = Math.random): string | null {
  if (attempts >= OUTBOX.maxAttempts) return null;
  const ceiling = Math.min(OUTBOX.retryMaxMs, OUTBOX.retryBaseMs * 2 ** Math.max(0, attempts - 1));
  const delay = ceiling / 2 + random() * (ceiling / 2);
  return new Date(Date.parse(failedAt) + Math.round(delay)).toISOString();
}

/** Reminders queued after this instant (less than the interval before `queuedAt`) count as recent. */
export function reminderWindowStart(queuedAt: string): string {
  return new Date(Date.parse(queuedAt) - OUTBOX.reminderIntervalMs).toISOString();
}
