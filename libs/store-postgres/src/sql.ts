/**
 * Every statement the store runs. Each has a name, so `pg` prepares it once per
 * connection and afterwards sends only the name and the parameters: the server
 * parses and plans the hot reads once, not on every request.
 */
export interface Statement {
  readonly name: string;
  readonly text: string;
}

const EXCHANGE_COLUMNS = `
  e.id, e.name, e.budget_amount, e.budget_currency, e.exchange_date, e.single_cycle, e.status,
  e.created_at, e.drawn_at, e.organizer_token_hash, e.invite_code_hash,
  e.participant_count, e.wishlist_count, e.exclusion_count`;

const PARTICIPANT_COLUMNS = 'p.id, p.exchange_id, p.name, p.email, p.wishlist, p.joined_at, p.token_hash';

function statement(name: string, text: string): Statement {
  return { name: `santa_${name}`, text: text.trim().replace(/\s+/g, ' ') };
}

const ME_VIEW_COLUMNS = `${EXCHANGE_COLUMNS},
            p.id AS participant_id, p.name AS participant_name, p.email AS participant_email,
            p.wishlist AS participant_wishlist, p.joined_at AS participant_joined_at,
            p.token_hash AS participant_token_hash,
            g.id AS giftee_id, g.name AS giftee_name, g.wishlist AS giftee_wishlist`;
const ME_VIEW_JOINS = `JOIN exchanges e ON e.id = p.exchange_id
       LEFT JOIN assignments a ON a.exchange_id = p.exchange_id AND a.giver_id = p.id
       LEFT JOIN participants g ON g.exchange_id = a.exchange_id AND g.id = a.receiver_id`;

export const SQL = {
  ping: statement('ping', 'SELECT 1'),

  insertExchange: statement(
    'insert_exchange',
    `INSERT INTO exchanges (id, name, budget_amount, budget_currency, exchange_date, single_cycle, status,
                           created_at, drawn_at, organizer_token_hash, invite_code_hash)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
  ),

  exchangeById: statement('exchange_by_id', `SELECT ${EXCHANGE_COLUMNS} FROM exchanges e WHERE e.id = $1`),

  /** The dashboard read: one index lookup. */
  exchangeByOrganizerToken: statement(
    'exchange_by_organizer_token',
    `SELECT ${EXCHANGE_COLUMNS} FROM exchanges e WHERE e.organizer_token_hash = $1`,
  ),

  /**
   * Every write that can race with a draw starts here: the row lock makes joins,
   * removals, exclusion changes and draws of one exchange take turns.
   */
  lockExchange: statement('lock_exchange', `SELECT ${EXCHANGE_COLUMNS} FROM exchanges e WHERE e.id = $1 FOR UPDATE`),

  /**
   * Inserts a batch from parallel arrays (one round trip, one plan, whatever the
   * batch size) and adds it to the counts. A row whose e-mail address the exchange
   * already has is skipped, not an error, so the caller can tell a duplicate from
   * the inserted count and name the address.
   */
  insertParticipants: statement(
    'insert_participants',
    `WITH inserted AS (
       INSERT INTO participants (exchange_id, id, name, email, email_key, wishlist, joined_at, token_hash)
       SELECT $1::uuid, *
         FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::text[])
       ON CONFLICT (exchange_id, email_key) DO NOTHING
       RETURNING wishlist
     ), added AS (
       SELECT count(*)::int AS participants, (count(*) FILTER (WHERE wishlist <> ''))::int AS wishlists FROM inserted
     )
     UPDATE exchanges e
        SET participant_count = e.participant_count + added.participants,
            wishlist_count = e.wishlist_count + added.wishlists
       FROM added
      WHERE e.id = $1
     RETURNING added.participants AS inserted`,
  ),

  /** Which of these normalised addresses the exchange has from participants other than these. */
  takenEmails: statement(
    'taken_emails',
    `SELECT email_key FROM participants
      WHERE exchange_id = $1 AND email_key = ANY($2::text[]) AND NOT (id = ANY($3::uuid[]))`,
  ),

  participantsFirstPage: statement(
    'participants_first_page',
    `SELECT p.id, p.name, p.email, p.wishlist, p.joined_at FROM participants p
      WHERE p.exchange_id = $1
      ORDER BY p.joined_at, p.id LIMIT $2`,
  ),

  /** Keyset paging: the row comparison seeks straight to the cursor in participants_join_order. */
  participantsAfter: statement(
    'participants_after',
    `SELECT p.id, p.name, p.email, p.wishlist, p.joined_at FROM participants p
      WHERE p.exchange_id = $1 AND (p.joined_at, p.id) > ($2::timestamptz, $3::uuid)
      ORDER BY p.joined_at, p.id LIMIT $4`,
  ),

  /** Removes a participant, their exclusions, messages and links, and updates the counts; no row when there is no such participant. */
  removeParticipant: statement(
    'remove_participant',
    `WITH removed AS (
       DELETE FROM participants WHERE exchange_id = $1 AND id = $2 RETURNING wishlist
     ), dropped_messages AS (
       DELETE FROM outbox_messages m WHERE m.exchange_id = $1 AND m.participant_id = $2 AND EXISTS (SELECT FROM removed)
     ), dropped_links AS (
       DELETE FROM participant_links l WHERE l.exchange_id = $1 AND l.participant_id = $2 AND EXISTS (SELECT FROM removed)
     ), dropped AS (
       DELETE FROM exclusions x
        WHERE x.exchange_id = $1 AND (x.giver_id = $2 OR x.receiver_id = $2) AND EXISTS (SELECT FROM removed)
       RETURNING 1
     )
     UPDATE exchanges e
        SET participant_count = e.participant_count - 1,
            wishlist_count = e.wishlist_count - (SELECT (wishlist <> '')::int FROM removed),
            exclusion_count = e.exclusion_count - (SELECT count(*)::int FROM dropped)
      WHERE e.id = $1 AND EXISTS (SELECT FROM removed)
     RETURNING e.id`,
  ),

  /** Locks the exchange of the participant with this token, so wishlist counts stay exact under concurrent writes. */
  lockExchangeOfParticipant: statement(
    'lock_exchange_of_participant',
    `SELECT e.id FROM participants p JOIN exchanges e ON e.id = p.exchange_id
      WHERE p.token_hash = $1
      FOR UPDATE OF e`,
  ),

  /**
   * Runs after lockExchangeOfParticipant in the same transaction: its snapshot is
   * taken once the lock is held, so `previous` is the wishlist as it is now.
   */
  updateWishlist: statement(
    'update_wishlist',
    `WITH previous AS (
       SELECT exchange_id, id, wishlist FROM participants WHERE token_hash = $1
     ), updated AS (
       UPDATE participants p SET wishlist = $2
         FROM previous
        WHERE p.exchange_id = previous.exchange_id AND p.id = previous.id
       RETURNING ${PARTICIPANT_COLUMNS}
     ), counted AS (
       UPDATE exchanges e
          SET wishlist_count = e.wishlist_count + ($2 <> '')::int - (previous.wishlist <> '')::int
         FROM previous
        WHERE e.id = previous.exchange_id
     )
     SELECT * FROM updated`,
  ),

  /** The draw's input, in (joined_at, id) order so that a seeded draw is reproducible. */
  drawParticipants: statement(
    'draw_participants',
    'SELECT p.id, p.name FROM participants p WHERE p.exchange_id = $1 ORDER BY p.joined_at, p.id',
  ),

  /** Which of these ids are participants of the exchange. */
  participantIds: statement(
    'participant_ids',
    'SELECT p.id FROM participants p WHERE p.exchange_id = $1 AND p.id = ANY($2::uuid[])',
  ),

  exclusions: statement(
    'exclusions',
    'SELECT x.giver_id, x.receiver_id FROM exclusions x WHERE x.exchange_id = $1 ORDER BY x.ordinal',
  ),

  deleteExclusions: statement('delete_exclusions', 'DELETE FROM exclusions WHERE exchange_id = $1'),

  insertExclusions: statement(
    'insert_exclusions',
    `WITH inserted AS (
       INSERT INTO exclusions (exchange_id, giver_id, receiver_id, ordinal)
       SELECT $1::uuid, giver_id, receiver_id, ordinal
         FROM unnest($2::uuid[], $3::uuid[]) WITH ORDINALITY AS x (giver_id, receiver_id, ordinal)
       RETURNING 1
     )
     UPDATE exchanges SET exclusion_count = (SELECT count(*) FROM inserted) WHERE id = $1`,
  ),

  /**
   * Stores the draw's pairs whose giver and receiver are both participants of the
   * exchange, and says how many that was: one join instead of a foreign-key check
   * per row and column.
   */
  insertAssignments: statement(
    'insert_assignments',
    `WITH inserted AS (
       INSERT INTO assignments (exchange_id, giver_id, receiver_id)
       SELECT $1::uuid, pair.giver_id, pair.receiver_id
         FROM unnest($2::uuid[], $3::uuid[]) AS pair (giver_id, receiver_id)
         JOIN participants giver ON giver.exchange_id = $1 AND giver.id = pair.giver_id
         JOIN participants receiver ON receiver.exchange_id = $1 AND receiver.id = pair.receiver_id
       RETURNING 1
     )
     SELECT count(*)::int AS inserted FROM inserted`,
  ),

  markDrawn: statement(
    'mark_drawn',
    `UPDATE exchanges e SET status = 'drawn', drawn_at = $2 WHERE e.id = $1 RETURNING ${EXCHANGE_COLUMNS}`,
  ),

  /**
   * `GET /me` in one round trip: the participant by token hash, their exchange by
   * primary key, their assignment by (exchange_id, giver_id) and the giftee by
   * primary key. Four index lookups, one snapshot.
   */
  meView: statement(
    'me_view',
    `SELECT ${ME_VIEW_COLUMNS}
       FROM participants p
       ${ME_VIEW_JOINS}
      WHERE p.token_hash = $1`,
  ),

  /** The `GET /me` read through a link token e-mailed to the participant: the fallback when meView misses. */
  meViewByLink: statement(
    'me_view_by_link',
    `SELECT ${ME_VIEW_COLUMNS}
       FROM participant_links l
       JOIN participants p ON p.exchange_id = l.exchange_id AND p.id = l.participant_id
       ${ME_VIEW_JOINS}
      WHERE l.token_hash = $1`,
  ),

  /** The participant's own token hash for a link token's hash: the fallback when the primary lookup misses. */
  participantTokenOfLink: statement(
    'participant_token_of_link',
    `SELECT p.token_hash FROM participant_links l
       JOIN participants p ON p.exchange_id = l.exchange_id AND p.id = l.participant_id
      WHERE l.token_hash = $1`,
  ),

  /** Queues one message per participant id, all due at $4; ids are UUIDv7s made by the caller. */
  insertOutboxMessages: statement(
    'insert_outbox_messages',
    `INSERT INTO outbox_messages (id, exchange_id, participant_id, kind, status, created_at, attempts, next_attempt_at)
     SELECT m.id, $1::uuid, m.participant_id, $3, 'pending', $4::timestamptz, 0, $4::timestamptz
       FROM unnest($2::uuid[], $5::uuid[]) AS m (participant_id, id)`,
  ),

  /** Participants with an empty wishlist and no reminder queued after $2, in join order. */
  reminderRecipients: statement(
    'reminder_recipients',
    `SELECT p.id FROM participants p
      WHERE p.exchange_id = $1 AND p.wishlist = ''
        AND NOT EXISTS (
          SELECT FROM outbox_messages m
           WHERE m.exchange_id = $1 AND m.participant_id = p.id AND m.created_at > $2 AND m.kind = 'reminder')
      ORDER BY p.joined_at, p.id`,
  ),

  /**
   * Due messages with what their e-mails say, locked for this transaction. SKIP LOCKED:
   * a concurrent claim (another replica) takes the next ones instead of waiting for these.
   */
  dueOutboxMessages: statement(
    'due_outbox_messages',
    `SELECT m.id, m.exchange_id, m.participant_id, m.kind, m.status, m.created_at, m.attempts, m.next_attempt_at,
            m.claimed_until, m.last_error, m.sent_at,
            p.name AS participant_name, p.email AS participant_email,
            e.name AS exchange_name, e.exchange_date, e.budget_amount, e.budget_currency
       FROM outbox_messages m
       JOIN participants p ON p.exchange_id = m.exchange_id AND p.id = m.participant_id
       JOIN exchanges e ON e.id = m.exchange_id
      WHERE m.status = 'pending' AND m.next_attempt_at <= $1 AND (m.claimed_until IS NULL OR m.claimed_until <= $1)
      ORDER BY m.next_attempt_at, m.id
      LIMIT $2
      FOR UPDATE OF m SKIP LOCKED`,
  ),

  /** Leases the claimed messages and stores one link hash for each. */
  leaseOutboxMessages: statement(
    'lease_outbox_messages',
    `WITH leased AS (
       UPDATE outbox_messages m SET claimed_until = $2, attempts = m.attempts + 1
        WHERE m.id = ANY($3::uuid[])
       RETURNING m.id, m.exchange_id, m.participant_id
     )
     INSERT INTO participant_links (token_hash, exchange_id, participant_id, message_id, created_at)
     SELECT link.token_hash, leased.exchange_id, leased.participant_id, leased.id, $1::timestamptz
       FROM unnest($3::uuid[], $4::text[]) AS link (message_id, token_hash)
       JOIN leased ON leased.id = link.message_id`,
  ),

  completeOutboxMessage: statement(
    'complete_outbox_message',
    `UPDATE outbox_messages SET status = 'sent', sent_at = $2, claimed_until = NULL WHERE id = $1 AND status = 'pending'`,
  ),

  /** Records the failure and removes the attempt's link; $4 null fails the message for good. */
  failOutboxMessage: statement(
    'fail_outbox_message',
    `WITH failed AS (
       UPDATE outbox_messages m
          SET last_error = $3, claimed_until = NULL,
              status = CASE WHEN $4::timestamptz IS NULL THEN 'failed' ELSE 'pending' END,
              next_attempt_at = coalesce($4::timestamptz, m.next_attempt_at)
        WHERE m.id = $1 AND m.status = 'pending'
       RETURNING m.id
     )
     DELETE FROM participant_links l USING failed WHERE l.token_hash = $2 AND l.message_id = failed.id`,
  ),

  countOutboxMessages: statement(
    'count_outbox_messages',
    `SELECT (count(*) FILTER (WHERE status = 'pending'))::int AS pending,
            (count(*) FILTER (WHERE status = 'failed'))::int AS failed
       FROM outbox_messages WHERE status <> 'sent'`,
  ),

  idempotencyRecord: statement(
    'idempotency_record',
    `SELECT key_hash, request_hash, status, sealed_body, created_at FROM idempotency_records
      WHERE key_hash = $1 AND created_at >= $2`,
  ),

  /**
   * Claims a key for the running transaction, before any work: a placeholder row
   * that the transaction fills in with the response before it commits, or that
   * its rollback removes. A concurrent twin's insert waits on the unique key until
   * this transaction ends, then finds a live record and gets no row back. An
   * existing record older than $4 has expired and is taken over.
   */
  claimIdempotencyKey: statement(
    'claim_idempotency_key',
    `INSERT INTO idempotency_records AS r (key_hash, request_hash, status, sealed_body, created_at)
     VALUES ($1, $2, 0, '', $3)
     ON CONFLICT (key_hash) DO UPDATE
        SET request_hash = excluded.request_hash, status = 0, sealed_body = '', created_at = excluded.created_at
      WHERE r.created_at < $4
     RETURNING r.key_hash`,
  ),

  answerIdempotencyKey: statement(
    'answer_idempotency_key',
    'UPDATE idempotency_records SET status = $2, sealed_body = $3 WHERE key_hash = $1',
  ),

  purgeIdempotencyRecords: statement(
    'purge_idempotency_records',
    'DELETE FROM idempotency_records WHERE created_at < $1',
  ),
} as const satisfies Record<string, Statement>;
