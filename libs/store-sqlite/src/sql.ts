/**
 * Every statement the store runs, prepared once when the store opens. Kept in one
 * place so the tests can EXPLAIN exactly the queries that serve requests.
 */

const EXCHANGE_COLUMN_NAMES = [
  'id', 'name', 'budget_amount', 'budget_currency', 'exchange_date', 'single_cycle', 'status',
  'created_at', 'drawn_at', 'organizer_token_hash', 'invite_code_hash',
  'participant_count', 'wishlist_count', 'exclusion_count',
];
const EXCHANGE_COLUMNS = EXCHANGE_COLUMN_NAMES.join(', ');
// RETURNING cannot name a table alias, so joins qualify the columns themselves.
const EXCHANGE_COLUMNS_OF_E = EXCHANGE_COLUMN_NAMES.map((column) => `e.${column}`).join(', ');

export const SQL = {
  ping: 'SELECT 1',

  insertExchange: `
    INSERT INTO exchanges (
      id, name, budget_amount, budget_currency, exchange_date, single_cycle, status,
      created_at, drawn_at, organizer_token_hash, invite_code_hash
    ) VALUES (
      :id, :name, :budget_amount, :budget_currency, :exchange_date, :single_cycle, :status,
      :created_at, :drawn_at, :organizer_token_hash, :invite_code_hash
    )
    RETURNING ${EXCHANGE_COLUMNS}`,
  /** The dashboard read, and every organizer request's authentication. */
  exchangeByOrganizerToken: `SELECT ${EXCHANGE_COLUMNS} FROM exchanges WHERE organizer_token_hash = ?`,
  exchangeById: `SELECT ${EXCHANGE_COLUMNS} FROM exchanges WHERE id = ?`,
  exchangeState: 'SELECT status, single_cycle, participant_count FROM exchanges WHERE id = ?',
  adjustCounts: `
    UPDATE exchanges
    SET participant_count = participant_count + :participants,
        wishlist_count = wishlist_count + :wishlists,
        exclusion_count = exclusion_count + :exclusions
    WHERE id = :id`,
  setExclusionCount: 'UPDATE exchanges SET exclusion_count = ? WHERE id = ?',
  markDrawn: `
    UPDATE exchanges SET status = 'drawn', drawn_at = ? WHERE id = ?
    RETURNING ${EXCHANGE_COLUMNS}`,

  insertParticipant: `
    INSERT INTO participants (id, exchange_id, name, email, email_key, wishlist, joined_at, token_hash)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  emailTaken: 'SELECT 1 FROM participants WHERE exchange_id = ? AND email_key = ?',
  participantsFirstPage: `
    SELECT id, name, email, wishlist, joined_at FROM participants
    WHERE exchange_id = ?
    ORDER BY joined_at, id
    LIMIT ?`,
  participantsAfter: `
    SELECT id, name, email, wishlist, joined_at FROM participants
    WHERE exchange_id = ? AND (joined_at, id) > (?, ?)
    ORDER BY joined_at, id
    LIMIT ?`,
  participantInExchange: 'SELECT wishlist FROM participants WHERE id = ? AND exchange_id = ?',
  participantByToken: 'SELECT id, exchange_id, wishlist FROM participants WHERE token_hash = ?',
  deleteParticipant: 'DELETE FROM participants WHERE id = ?',
  updateWishlist: `
    UPDATE participants SET wishlist = ? WHERE id = ?
    RETURNING id, exchange_id, name, email, wishlist, joined_at, token_hash`,
  drawParticipants: 'SELECT id, name FROM participants WHERE exchange_id = ? ORDER BY joined_at, id',

  exclusionsByExchange: 'SELECT giver_id, receiver_id FROM exclusions WHERE exchange_id = ? ORDER BY rowid',
  deleteExclusionsOfExchange: 'DELETE FROM exclusions WHERE exchange_id = ?',
  deleteExclusionsOfParticipant: 'DELETE FROM exclusions WHERE giver_id = :id OR receiver_id = :id',
  insertExclusion: `
    INSERT INTO exclusions (exchange_id, giver_id, receiver_id) VALUES (?, ?, ?)
    ON CONFLICT (giver_id, receiver_id) DO NOTHING`,

  insertAssignment: 'INSERT INTO assignments (giver_id, receiver_id, exchange_id) VALUES (?, ?, ?)',

  /** The `GET /me` read: the participant, their exchange and their giftee, in one indexed query. */
  meView: `
    SELECT p.id AS p_id, p.name AS p_name, p.email AS p_email, p.wishlist AS p_wishlist,
           p.joined_at AS p_joined_at, p.token_hash AS p_token_hash,
           ${EXCHANGE_COLUMNS_OF_E},
           g.id AS g_id, g.name AS g_name, g.wishlist AS g_wishlist
    FROM participants p
    JOIN exchanges e ON e.id = p.exchange_id
    LEFT JOIN assignments a ON a.giver_id = p.id
    LEFT JOIN participants g ON g.id = a.receiver_id
    WHERE p.token_hash = ?`,

  /** The own token hash of the participant a link token was e-mailed to: the fallback when the own-token lookup misses. */
  participantTokenOfLink: `
    SELECT p.token_hash FROM participant_links l
    JOIN participants p ON p.id = l.participant_id
    WHERE l.token_hash = ?`,

  insertOutboxMessage: `
    INSERT INTO outbox_messages (id, exchange_id, participant_id, kind, status, created_at, attempts, next_attempt_at)
    VALUES (?, ?, ?, ?, 'pending', ?, 0, ?)`,
  /** Participants with an empty wishlist and no reminder queued after the window's start, in join order. */
  reminderRecipients: `
    SELECT p.id FROM participants p
    WHERE p.exchange_id = :exchange_id AND p.wishlist = ''
      AND NOT EXISTS (
        SELECT 1 FROM outbox_messages m
        WHERE m.participant_id = p.id AND m.created_at > :window_start AND m.kind = 'reminder')
    ORDER BY p.joined_at, p.id`,
  /** Due messages with what their e-mails say, oldest due first. */
  dueOutboxMessages: `
    SELECT m.id, m.exchange_id, m.participant_id, m.kind, m.status, m.created_at, m.attempts, m.next_attempt_at,
           m.claimed_until, m.last_error, m.sent_at,
           p.name AS participant_name, p.email AS participant_email,
           e.name AS exchange_name, e.exchange_date, e.budget_amount, e.budget_currency
    FROM outbox_messages m
    JOIN participants p ON p.id = m.participant_id
    JOIN exchanges e ON e.id = m.exchange_id
    WHERE m.status = 'pending' AND m.next_attempt_at <= :now AND (m.claimed_until IS NULL OR m.claimed_until <= :now)
    ORDER BY m.next_attempt_at, m.id
    LIMIT :limit`,
  leaseOutboxMessage: 'UPDATE outbox_messages SET claimed_until = ?, attempts = attempts + 1 WHERE id = ?',
  insertParticipantLink: `
    INSERT INTO participant_links (token_hash, exchange_id, participant_id, message_id, created_at)
    VALUES (?, ?, ?, ?, ?)`,
  completeOutboxMessage: `
    UPDATE outbox_messages SET status = 'sent', sent_at = ?, claimed_until = NULL
    WHERE id = ? AND status = 'pending'`,
  /** A null :retry_at fails the message for good. */
  failOutboxMessage: `
    UPDATE outbox_messages
    SET last_error = :error, claimed_until = NULL,
        status = CASE WHEN :retry_at IS NULL THEN 'failed' ELSE 'pending' END,
        next_attempt_at = coalesce(:retry_at, next_attempt_at)
    WHERE id = :id AND status = 'pending'`,
  deleteParticipantLink: 'DELETE FROM participant_links WHERE token_hash = ? AND message_id = ?',
  countOutboxMessages: `
    SELECT count(*) FILTER (WHERE status = 'pending') AS pending,
           count(*) FILTER (WHERE status = 'failed') AS failed
    FROM outbox_messages WHERE status <> 'sent'`,

  idempotencyRecord: `
    SELECT key_hash, request_hash, status, sealed_body, created_at FROM idempotency_records
    WHERE key_hash = ? AND created_at >= ?`,
  idempotencyCreatedAt: 'SELECT created_at FROM idempotency_records WHERE key_hash = ?',
  upsertIdempotencyRecord: `
    INSERT INTO idempotency_records (key_hash, request_hash, status, sealed_body, created_at)
    VALUES (:key_hash, :request_hash, :status, :sealed_body, :created_at)
    ON CONFLICT (key_hash) DO UPDATE SET
      request_hash = excluded.request_hash, status = excluded.status,
      sealed_body = excluded.sealed_body, created_at = excluded.created_at`,
  purgeIdempotencyRecords: 'DELETE FROM idempotency_records WHERE created_at < ?',
} as const;
