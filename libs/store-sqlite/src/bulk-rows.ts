import type Database from 'better-sqlite3';
import {
  MissingReferenceError,
  keyParts,
  normalizeEmail,
  rowKey,
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
  exchangeToRow,
  rowToIdempotencyRecord,
  rowToOutboxMessage,
  rowToParticipantLink,
  type ExchangeInsert,
  type IdempotencyRow,
  type OutboxMessageRow,
  type ParticipantLinkRow,
  type ParticipantRow,
} from './rows';

/**
 * Whole tables in key order, and raw writes, for `BulkStore`. A page seeks with a
 * row value (`(exchange_id, id) > (?, ?)`) on an index that leads with the key's
 * first column; where the index does not hold the rest of the key, SQLite sorts only
 * the rows of one exchange at a time. So a page costs its own rows, wherever it starts.
 */

interface TableShape<T extends TableName> {
  sqlTable: string;
  columns: readonly string[];
  /** The key columns, in `rowKey` order. */
  key: readonly string[];
  fromRow(row: never): TableRowTypes[T];
}

const SHAPES: { [T in TableName]: TableShape<T> } = {
  exchanges: {
    sqlTable: 'exchanges',
    columns: [
      'id', 'name', 'budget_amount', 'budget_currency', 'exchange_date', 'single_cycle', 'status',
      'created_at', 'drawn_at', 'organizer_token_hash', 'invite_code_hash',
    ],
    key: ['id'],
    fromRow: (row: ExchangeInsert): NewExchange => ({
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
    }),
  },
  participants: {
    sqlTable: 'participants',
    columns: ['id', 'exchange_id', 'name', 'email', 'wishlist', 'joined_at', 'token_hash'],
    key: ['exchange_id', 'id'],
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
    sqlTable: 'exclusions',
    columns: ['exchange_id', 'giver_id', 'receiver_id'],
    key: ['exchange_id', 'giver_id', 'receiver_id'],
    fromRow: pairFromRow,
  },
  assignments: {
    sqlTable: 'assignments',
    columns: ['exchange_id', 'giver_id', 'receiver_id'],
    key: ['exchange_id', 'giver_id'],
    fromRow: pairFromRow,
  },
  idempotencyRecords: {
    sqlTable: 'idempotency_records',
    columns: ['key_hash', 'request_hash', 'status', 'sealed_body', 'created_at'],
    key: ['key_hash'],
    fromRow: (row: IdempotencyRow): IdempotencyRecord => rowToIdempotencyRecord(row),
  },
  outboxMessages: {
    sqlTable: 'outbox_messages',
    columns: [
      'id', 'exchange_id', 'participant_id', 'kind', 'status', 'created_at', 'attempts', 'next_attempt_at',
      'claimed_until', 'last_error', 'sent_at',
    ],
    key: ['id'],
    fromRow: (row: OutboxMessageRow): OutboxMessageRecord => rowToOutboxMessage(row),
  },
  participantLinks: {
    sqlTable: 'participant_links',
    columns: ['token_hash', 'exchange_id', 'participant_id', 'message_id', 'created_at'],
    key: ['token_hash'],
    fromRow: (row: ParticipantLinkRow): ParticipantLinkRecord => rowToParticipantLink(row),
  },
};

function pairFromRow(row: { exchange_id: string; giver_id: string; receiver_id: string }): ExclusionRow & AssignmentRow {
  return { exchangeId: row.exchange_id, giverId: row.giver_id, receiverId: row.receiver_id };
}

interface ReadStatements {
  count: Database.Statement<[], { rows: number }>;
  first: Database.Statement<[number], unknown>;
  after: Database.Statement<unknown[], unknown>;
  last: Database.Statement<[], unknown>;
}

/** The statements that read a table in key order; exported for the tests that EXPLAIN them. */
export function bulkReadSql(table: TableName): { [S in keyof ReadStatements]: string } {
  const shape = SHAPES[table];
  const select = `SELECT ${shape.columns.join(', ')} FROM ${shape.sqlTable}`;
  const order = shape.key.join(', ');
  const placeholders = shape.key.map(() => '?').join(', ');
  return {
    count: `SELECT count(*) AS rows FROM ${shape.sqlTable}`,
    first: `${select} ORDER BY ${order} LIMIT ?`,
    after: `${select} WHERE (${order}) > (${placeholders}) ORDER BY ${order} LIMIT ?`,
    // Within the greatest leading column first: an index finds it, and only its rows are sorted.
    last:
      `${select} WHERE ${shape.key[0]} = (SELECT max(${shape.key[0]}) FROM ${shape.sqlTable}) ` +
      `ORDER BY ${shape.key.map((column) => `${column} DESC`).join(', ')} LIMIT 1`,
  };
}

function readStatements(db: Database.Database, table: TableName): ReadStatements {
  const sql = bulkReadSql(table);
  return {
    count: db.prepare(sql.count),
    first: db.prepare(sql.first),
    after: db.prepare(sql.after),
    last: db.prepare(sql.last),
  };
}

export class BulkRows {
  private readonly reads: { [T in TableName]: ReadStatements };
  private readonly statements;

  constructor(db: Database.Database) {
    this.reads = Object.fromEntries(
      (Object.keys(SHAPES) as TableName[]).map((table) => [table, readStatements(db, table)]),
    ) as { [T in TableName]: ReadStatements };
    this.statements = {
      exchangeExists: db.prepare<[string], unknown>('SELECT 1 FROM exchanges WHERE id = ?'),
      participantInExchange: db.prepare<[string, string], unknown>(
        'SELECT 1 FROM participants WHERE id = ? AND exchange_id = ?',
      ),
      insertExchange: db.prepare<ExchangeInsert>(`
        INSERT INTO exchanges (
          id, name, budget_amount, budget_currency, exchange_date, single_cycle, status,
          created_at, drawn_at, organizer_token_hash, invite_code_hash
        ) VALUES (
          :id, :name, :budget_amount, :budget_currency, :exchange_date, :single_cycle, :status,
          :created_at, :drawn_at, :organizer_token_hash, :invite_code_hash
        )
        ON CONFLICT (id) DO NOTHING`),
      insertParticipant: db.prepare<[string, string, string, string, string, string, string, string]>(`
        INSERT INTO participants (id, exchange_id, name, email, email_key, wishlist, joined_at, token_hash)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (id) DO NOTHING`),
      insertExclusion: db.prepare<[string, string, string]>(`
        INSERT INTO exclusions (exchange_id, giver_id, receiver_id) VALUES (?, ?, ?)
        ON CONFLICT (giver_id, receiver_id) DO NOTHING`),
      insertAssignment: db.prepare<[string, string, string]>(`
        INSERT INTO assignments (exchange_id, giver_id, receiver_id) VALUES (?, ?, ?)
        ON CONFLICT (giver_id) DO NOTHING`),
      insertIdempotencyRecord: db.prepare<IdempotencyRow>(`
        INSERT INTO idempotency_records (key_hash, request_hash, status, sealed_body, created_at)
        VALUES (:key_hash, :request_hash, :status, :sealed_body, :created_at)
        ON CONFLICT (key_hash) DO NOTHING`),
      messageExists: db.prepare<[string], unknown>('SELECT 1 FROM outbox_messages WHERE id = ?'),
      insertOutboxMessage: db.prepare<OutboxMessageRow>(`
        INSERT INTO outbox_messages (
          id, exchange_id, participant_id, kind, status, created_at, attempts, next_attempt_at,
          claimed_until, last_error, sent_at
        ) VALUES (
          :id, :exchange_id, :participant_id, :kind, :status, :created_at, :attempts, :next_attempt_at,
          :claimed_until, :last_error, :sent_at
        )
        ON CONFLICT (id) DO NOTHING`),
      insertParticipantLink: db.prepare<ParticipantLinkRow>(`
        INSERT INTO participant_links (token_hash, exchange_id, participant_id, message_id, created_at)
        VALUES (:token_hash, :exchange_id, :participant_id, :message_id, :created_at)
        ON CONFLICT (token_hash) DO NOTHING`),
      adjustCounts: db.prepare<{ id: string; participants: number; wishlists: number; exclusions: number }>(`
        UPDATE exchanges
        SET participant_count = participant_count + :participants,
            wishlist_count = wishlist_count + :wishlists,
            exclusion_count = exclusion_count + :exclusions
        WHERE id = :id`),
    };
  }

  count(table: TableName): number {
    return this.reads[table].count.get()?.rows ?? 0;
  }

  read<T extends TableName>(table: T, afterKey: string | null, limit: number): TableRowTypes[T][] {
    const statements = this.reads[table];
    const rows = afterKey === null ? statements.first.all(limit) : statements.after.all(...keyParts(afterKey), limit);
    const shape = SHAPES[table] as TableShape<T>;
    return rows.map((row) => shape.fromRow(row as never));
  }

  lastKey(table: TableName): string | null {
    const row = this.reads[table].last.get();
    return row === undefined ? null : rowKey(table, SHAPES[table].fromRow(row as never));
  }

  /** Writes the rows, skipping those present; the caller runs it in a transaction. */
  write<T extends TableName>(table: T, rows: TableRowTypes[T][]): number {
    const counts = new Map<string, { participants: number; wishlists: number; exclusions: number }>();
    const countsOf = (exchangeId: string) => {
      let entry = counts.get(exchangeId);
      if (!entry) counts.set(exchangeId, (entry = { participants: 0, wishlists: 0, exclusions: 0 }));
      return entry;
    };
    let written = 0;
    for (const row of rows) {
      switch (table) {
        case 'exchanges':
          written += this.statements.insertExchange.run(exchangeToRow(row as NewExchange)).changes;
          break;
        case 'participants': {
          const participant = row as ParticipantRecord;
          this.assertExchange(table, participant);
          const inserted = this.statements.insertParticipant.run(
            participant.id,
            participant.exchangeId,
            participant.name,
            participant.email,
            normalizeEmail(participant.email),
            participant.wishlist,
            participant.joinedAt,
            participant.tokenHash,
          ).changes;
          const entry = countsOf(participant.exchangeId);
          entry.participants += inserted;
          if (participant.wishlist !== '') entry.wishlists += inserted;
          written += inserted;
          break;
        }
        case 'exclusions': {
          const exclusion = row as ExclusionRow;
          this.assertPair(table, exclusion);
          const inserted = this.statements.insertExclusion.run(
            exclusion.exchangeId,
            exclusion.giverId,
            exclusion.receiverId,
          ).changes;
          countsOf(exclusion.exchangeId).exclusions += inserted;
          written += inserted;
          break;
        }
        case 'assignments': {
          const assignment = row as AssignmentRow;
          this.assertPair(table, assignment);
          written += this.statements.insertAssignment.run(
            assignment.exchangeId,
            assignment.giverId,
            assignment.receiverId,
          ).changes;
          break;
        }
        case 'idempotencyRecords': {
          const record = row as IdempotencyRecord;
          written += this.statements.insertIdempotencyRecord.run({
            key_hash: record.keyHash,
            request_hash: record.requestHash,
            status: record.status,
            sealed_body: record.sealedBody,
            created_at: record.createdAt,
          }).changes;
          break;
        }
        case 'outboxMessages': {
          const message = row as OutboxMessageRecord;
          if (this.statements.participantInExchange.get(message.participantId, message.exchangeId) === undefined) {
            throw new MissingReferenceError(
              table,
              rowKey('outboxMessages', message),
              `participant ${message.exchangeId}/${message.participantId}`,
            );
          }
          written += this.statements.insertOutboxMessage.run({
            id: message.id,
            exchange_id: message.exchangeId,
            participant_id: message.participantId,
            kind: message.kind,
            status: message.status,
            created_at: message.createdAt,
            attempts: message.attempts,
            next_attempt_at: message.nextAttemptAt,
            claimed_until: message.claimedUntil,
            last_error: message.lastError,
            sent_at: message.sentAt,
          }).changes;
          break;
        }
        case 'participantLinks': {
          const link = row as ParticipantLinkRecord;
          if (this.statements.messageExists.get(link.messageId) === undefined) {
            throw new MissingReferenceError(table, rowKey('participantLinks', link), `outbox message ${link.messageId}`);
          }
          written += this.statements.insertParticipantLink.run({
            token_hash: link.tokenHash,
            exchange_id: link.exchangeId,
            participant_id: link.participantId,
            message_id: link.messageId,
            created_at: link.createdAt,
          }).changes;
          break;
        }
        default:
          throw new Error(`unknown table ${String(table)}`);
      }
    }
    for (const [id, entry] of counts) this.statements.adjustCounts.run({ id, ...entry });
    return written;
  }

  private assertExchange(table: 'participants', row: ParticipantRecord): void {
    if (this.statements.exchangeExists.get(row.exchangeId) === undefined) {
      throw new MissingReferenceError(table, rowKey(table, row), `exchange ${row.exchangeId}`);
    }
  }

  /** The foreign keys prove that both people exist; this proves they belong to the row's exchange. */
  private assertPair(table: 'exclusions' | 'assignments', row: ExclusionRow & AssignmentRow): void {
    for (const id of [row.giverId, row.receiverId]) {
      if (this.statements.participantInExchange.get(id, row.exchangeId) === undefined) {
        throw new MissingReferenceError(table, rowKey(table, row), `participant ${row.exchangeId}/${id}`);
      }
    }
  }
}
