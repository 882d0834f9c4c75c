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
