import {
  normalizeEmail,
  type AssignmentRow,
  type ExclusionRow,
  type IdempotencyRecord,
  type NewExchange,
  type OutboxMessageRecord,
  type ParticipantLinkRecord,
  type ParticipantRecord,
  type TableName,
  type TableRowTypes,
} from '@santa/domain';
import {
  exchangeParameters,
  rowToIdempotencyRecord,
  rowToOutboxMessage,
  type ExchangeRow,
  type IdempotencyRow,
  type OutboxMessageRow,
  type ParticipantRow,
} from './rows';
import type { Statement } from './sql';

/**
 * The statements of the bulk path (`BulkStore`). Every table is read in the order of
 * its primary key, which is the order of `rowKey`: a page is a seek on the key index
 * with a row comparison and stops after `limit` rows, wherever it starts. Writes send
 * a whole batch as parallel arrays in one statement, skip rows whose key is present
 * (`ON CONFLICT ... DO NOTHING` on the primary key only: any other conflict is an
 * error), and add what they inserted to the exchanges' counts in the same statement.
 */

function statement(name: string, text: string): Statement {
  return { name: `santa_bulk_${name}`, text: text.trim().replace(/\s+/g, ' ') };
}

interface TableShape<T extends TableName> {
  table: string;
  columns: string;
  /** The primary key's columns in `rowKey` order, with the type each parameter is cast to. */
  key: ReadonlyArray<{ column: string; type: string }>;
  fromRow(row: never): TableRowTypes[T];
}

const uuid = (column: string) => ({ column, type: 'uuid' });

const SHAPES: { [T in TableName]: TableShape<T> } = {
  exchanges: {
    table: 'exchanges',
    columns: `id, name, budget_amount, budget_currency, exchange_date, single_cycle, status,
              created_at, drawn_at, organizer_token_hash, invite_code_hash`,
    key: [uuid('id')],
    fromRow: (row: Omit<ExchangeRow, 'participant_count' | 'wishlist_count' | 'exclusion_count'>): NewExchange => ({
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
    }),
  },
  participants: {
    table: 'participants',
    columns: 'id, exchange_id, name, email, wishlist, joined_at, token_hash',
    key: [uuid('exchange_id'), uuid('id')],
    fromRow: (row: ParticipantRow): ParticipantRecord => ({
      id: row.id,
      exchangeId: row.exchange_id,
      name: row.name,
      email: row.email,
      wishlist: row.wishlist,
      joinedAt: row.joined_at,
      tokenHash: row.token_hash,
    }),
  },
  exclusions: {
    table: 'exclusions',
    columns: 'exchange_id, giver_id, receiver_id',
    key: [uuid('exchange_id'), uuid('giver_id'), uuid('receiver_id')],
    fromRow: pairFromRow,
  },
  assignments: {
    table: 'assignments',
    columns: 'exchange_id, giver_id, receiver_id',
    key: [uuid('exchange_id'), uuid('giver_id')],
    fromRow: pairFromRow,
  },
  idempotencyRecords: {
    table: 'idempotency_records',
    columns: 'key_hash, request_hash, status, sealed_body, created_at',
    key: [{ column: 'key_hash', type: 'text' }],
    fromRow: (row: IdempotencyRow): IdempotencyRecord => rowToIdempotencyRecord(row),
  },
  outboxMessages: {
    table: 'outbox_messages',
    columns: `id, exchange_id, participant_id, kind, status, created_at, attempts, next_attempt_at,
              claimed_until, last_error, sent_at`,
    key: [uuid('id')],
    fromRow: (row: OutboxMessageRow): OutboxMessageRecord => rowToOutboxMessage(row),
  },
  participantLinks: {
    table: 'participant_links',
    columns: 'token_hash, exchange_id, participant_id, message_id, created_at',
    key: [{ column: 'token_hash', type: 'text' }],
    fromRow: (row: ParticipantLinkRow): ParticipantLinkRecord => ({
      tokenHash: row.token_hash,
      exchangeId: row.exchange_id,
      participantId: row.participant_id,
      messageId: row.message_id,
      createdAt: row.created_at,
    }),
  },
};

interface ParticipantLinkRow {
  token_hash: string;
  exchange_id: string;
  participant_id: string;
  message_id: string;
  created_at: string;
}

function pairFromRow(row: { exchange_id: string; giver_id: string; receiver_id: string }): ExclusionRow & AssignmentRow {
  return { exchangeId: row.exchange_id, giverId: row.giver_id, receiverId: row.receiver_id };
}

export interface TableReads {
  count: Statement;
  first: Statement;
  after: Statement;
  last: Statement;
}

function tableReads(name: TableName): TableReads {
  const { table, columns, key } = SHAPES[name];
  const order = key.map(({ column }) => column).join(', ');
  const cursor = key.map(({ type }, index) => `$${index + 1}::${type}`).join(', ');
  const prefix = `${name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`)}`;
  return {
    count: statement(`${prefix}_count`, `SELECT count(*)::int AS rows FROM ${table}`),
    first: statement(`${prefix}_first`, `SELECT ${columns} FROM ${table} ORDER BY ${order} LIMIT $1`),
    after: statement(
      `${prefix}_after`,
      `SELECT ${columns} FROM ${table} WHERE (${order}) > (${cursor}) ORDER BY ${order} LIMIT $${key.length + 1}`,
    ),
    last: statement(
      `${prefix}_last`,
      `SELECT ${columns} FROM ${table} ORDER BY ${key.map(({ column }) => `${column} DESC`).join(', ')} LIMIT 1`,
    ),
  };
}

export const BULK_READS = Object.fromEntries(
  (Object.keys(SHAPES) as TableName[]).map((table) => [table, tableReads(table)]),
) as { [T in TableName]: TableReads };

export function fromRow<T extends TableName>(table: T, row: unknown): TableRowTypes[T] {
  return (SHAPES[table] as TableShape<T>).fromRow(row as never);
}

export const BULK_SQL = {
  dataVersion: statement('data_version', 'SELECT count(*)::int AS migrations FROM pgmigrations'),

  /** The first row, in batch order, whose exchange is not there. */
  participantWithoutExchange: statement(
    'participant_without_exchange',
    `SELECT p.exchange_id, p.id
       FROM unnest($1::uuid[], $2::uuid[]) WITH ORDINALITY AS p (exchange_id, id, position)
      WHERE NOT EXISTS (SELECT FROM exchanges e WHERE e.id = p.exchange_id)
      ORDER BY p.position LIMIT 1`,
  ),

  /** The first pair, in batch order, whose giver or receiver is not a participant of its exchange, and which of them. */
  pairWithoutParticipant: statement(
    'pair_without_participant',
    `SELECT x.exchange_id, x.giver_id, x.receiver_id,
            CASE WHEN giver.id IS NULL THEN x.giver_id ELSE x.receiver_id END AS missing
       FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) WITH ORDINALITY AS x (exchange_id, giver_id, receiver_id, position)
       LEFT JOIN participants giver ON giver.exchange_id = x.exchange_id AND giver.id = x.giver_id
       LEFT JOIN participants receiver ON receiver.exchange_id = x.exchange_id AND receiver.id = x.receiver_id
      WHERE giver.id IS NULL OR receiver.id IS NULL
      ORDER BY x.position LIMIT 1`,
  ),

  /** The first message, in batch order, whose participant is not a participant of its exchange. */
  messageWithoutParticipant: statement(
    'message_without_participant',
    `SELECT m.id, m.exchange_id, m.participant_id
       FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) WITH ORDINALITY AS m (id, exchange_id, participant_id, position)
      WHERE NOT EXISTS (SELECT FROM participants p WHERE p.exchange_id = m.exchange_id AND p.id = m.participant_id)
      ORDER BY m.position LIMIT 1`,
  ),

  /** The first link, in batch order, whose outbox message is not there. */
  linkWithoutMessage: statement(
    'link_without_message',
    `SELECT l.token_hash, l.message_id
       FROM unnest($1::text[], $2::uuid[]) WITH ORDINALITY AS l (token_hash, message_id, position)
      WHERE NOT EXISTS (SELECT FROM outbox_messages m WHERE m.id = l.message_id)
      ORDER BY l.position LIMIT 1`,
  ),

  insertExchanges: statement(
    'insert_exchanges',
    `WITH inserted AS (
       INSERT INTO exchanges (id, name, budget_amount, budget_currency, exchange_date, single_cycle, status,
                              created_at, drawn_at, organizer_token_hash, invite_code_hash)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::numeric[], $4::text[], $5::date[], $6::boolean[],
                            $7::text[], $8::timestamptz[], $9::timestamptz[], $10::text[], $11::text[])
       ON CONFLICT (id) DO NOTHING
       RETURNING 1
     )
     SELECT count(*)::int AS written FROM inserted`,
  ),

  insertParticipants: statement(
    'insert_participants',
    `WITH inserted AS (
       INSERT INTO participants (exchange_id, id, name, email, email_key, wishlist, joined_at, token_hash)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[],
                            $7::timestamptz[], $8::text[])
       ON CONFLICT (exchange_id, id) DO NOTHING
       RETURNING exchange_id, wishlist
     ), added AS (
       SELECT exchange_id, count(*)::int AS participants, (count(*) FILTER (WHERE wishlist <> ''))::int AS wishlists
         FROM inserted GROUP BY exchange_id
     ), counted AS (
       UPDATE exchanges e
          SET participant_count = e.participant_count + added.participants,
              wishlist_count = e.wishlist_count + added.wishlists
         FROM added
        WHERE e.id = added.exchange_id
     )
     SELECT coalesce(sum(participants), 0)::int AS written FROM added`,
  ),

  /** New exclusions list after the exchange's existing ones, in batch order. */
  insertExclusions: statement(
    'insert_exclusions',
    `WITH input AS (
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) WITH ORDINALITY AS x (exchange_id, giver_id, receiver_id, position)
     ), listed AS (
       SELECT x.exchange_id, max(x.ordinal) AS ordinal FROM exclusions x
        WHERE x.exchange_id IN (SELECT DISTINCT exchange_id FROM input)
        GROUP BY x.exchange_id
     ), inserted AS (
       INSERT INTO exclusions (exchange_id, giver_id, receiver_id, ordinal)
       SELECT i.exchange_id, i.giver_id, i.receiver_id,
              coalesce(listed.ordinal, 0) + row_number() OVER (PARTITION BY i.exchange_id ORDER BY i.position)
         FROM input i LEFT JOIN listed ON listed.exchange_id = i.exchange_id
       ON CONFLICT (exchange_id, giver_id, receiver_id) DO NOTHING
       RETURNING exchange_id
     ), added AS (
       SELECT exchange_id, count(*)::int AS exclusions FROM inserted GROUP BY exchange_id
     ), counted AS (
       UPDATE exchanges e SET exclusion_count = e.exclusion_count + added.exclusions
         FROM added
        WHERE e.id = added.exchange_id
     )
     SELECT coalesce(sum(exclusions), 0)::int AS written FROM added`,
  ),

  insertAssignments: statement(
    'insert_assignments',
    `WITH inserted AS (
       INSERT INTO assignments (exchange_id, giver_id, receiver_id)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[])
       ON CONFLICT (exchange_id, giver_id) DO NOTHING
       RETURNING 1
     )
     SELECT count(*)::int AS written FROM inserted`,
  ),

  insertIdempotencyRecords: statement(
    'insert_idempotency_records',
    `WITH inserted AS (
       INSERT INTO idempotency_records (key_hash, request_hash, status, sealed_body, created_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::smallint[], $4::text[], $5::timestamptz[])
       ON CONFLICT (key_hash) DO NOTHING
       RETURNING 1
     )
     SELECT count(*)::int AS written FROM inserted`,
  ),

  insertOutboxMessages: statement(
    'insert_outbox_messages',
    `WITH inserted AS (
       INSERT INTO outbox_messages (id, exchange_id, participant_id, kind, status, created_at, attempts,
                                    next_attempt_at, claimed_until, last_error, sent_at)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::timestamptz[],
                            $7::integer[], $8::timestamptz[], $9::timestamptz[], $10::text[], $11::timestamptz[])
       ON CONFLICT (id) DO NOTHING
       RETURNING 1
     )
     SELECT count(*)::int AS written FROM inserted`,
  ),

  insertParticipantLinks: statement(
    'insert_participant_links',
    `WITH inserted AS (
       INSERT INTO participant_links (token_hash, exchange_id, participant_id, message_id, created_at)
       SELECT * FROM unnest($1::text[], $2::uuid[], $3::uuid[], $4::uuid[], $5::timestamptz[])
       ON CONFLICT (token_hash) DO NOTHING
       RETURNING 1
     )
     SELECT count(*)::int AS written FROM inserted`,
  ),
} as const satisfies Record<string, Statement>;

/** The parameters of a table's insert: one array per column. */
export function insertParameters<T extends TableName>(table: T, rows: TableRowTypes[T][]): unknown[][] {
  const columns = <R>(pick: (row: R) => unknown[]) => transpose((rows as R[]).map(pick));
  switch (table) {
    case 'exchanges':
      return columns(exchangeParameters);
    case 'participants':
      return columns((participant: ParticipantRecord) => [
        participant.exchangeId,
        participant.id,
        participant.name,
        participant.email,
        normalizeEmail(participant.email),
        participant.wishlist,
        participant.joinedAt,
        participant.tokenHash,
      ]);
    case 'exclusions':
    case 'assignments':
      return pairParameters(rows as Array<ExclusionRow & AssignmentRow>);
    case 'idempotencyRecords':
      return columns((record: IdempotencyRecord) => [
        record.keyHash,
        record.requestHash,
        record.status,
        record.sealedBody,
        record.createdAt,
      ]);
    case 'outboxMessages':
      return columns((message: OutboxMessageRecord) => [
        message.id,
        message.exchangeId,
        message.participantId,
        message.kind,
        message.status,
        message.createdAt,
        message.attempts,
        message.nextAttemptAt,
        message.claimedUntil,
        message.lastError,
        message.sentAt,
      ]);
    case 'participantLinks':
      return columns((link: ParticipantLinkRecord) => [
        link.tokenHash,
        link.exchangeId,
        link.participantId,
        link.messageId,
        link.createdAt,
      ]);
    default:
      throw new Error(`unknown table ${String(table)}`);
  }
}

export function pairParameters(rows: ReadonlyArray<{ exchangeId: string; giverId: string; receiverId: string }>): string[][] {
  return [rows.map((row) => row.exchangeId), rows.map((row) => row.giverId), rows.map((row) => row.receiverId)];
}

function transpose(rows: unknown[][]): unknown[][] {
  const width = rows[0]?.length ?? 0;
  return Array.from({ length: width }, (_, column) => rows.map((row) => row[column]));
}

export const INSERTS: { [T in TableName]: Statement } = {
  exchanges: BULK_SQL.insertExchanges,
  participants: BULK_SQL.insertParticipants,
  exclusions: BULK_SQL.insertExclusions,
  assignments: BULK_SQL.insertAssignments,
  idempotencyRecords: BULK_SQL.insertIdempotencyRecords,
  outboxMessages: BULK_SQL.insertOutboxMessages,
  participantLinks: BULK_SQL.insertParticipantLinks,
};
