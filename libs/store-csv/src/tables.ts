import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import type {
  Budget,
  ExchangeStatus,
  IdempotencyRecord,
  NewExchange,
  OutboxKind,
  OutboxMessageRecord,
  OutboxStatus,
  ParticipantLinkRecord,
  ParticipantRecord,
} from '@santa/domain';

/**
 * The tables, one CSV file each: their columns, and how a row maps to a record
 * and back. Nulls are stored as empty cells, which is unambiguous because every
 * nullable column holds a value that is never empty (a date, a timestamp, a budget,
 * an outbox message's error, which the store keeps only when it says something).
 * Text is stored exactly as given: csv-stringify quotes whatever needs quoting, so
 * commas, quotes, line breaks and any Unicode survive a round trip unchanged.
 */

/** An exchange as its row stores it: counts are not stored, reads compute them. */
export type StoredExchange = NewExchange;

export interface ExclusionRow {
  exchangeId: string;
  giverId: string;
  receiverId: string;
}

export interface AssignmentRow {
  exchangeId: string;
  giverId: string;
  receiverId: string;
}

export interface TableRows {
  exchanges: StoredExchange;
  participants: ParticipantRecord;
  exclusions: ExclusionRow;
  assignments: AssignmentRow;
  idempotency: IdempotencyRecord;
  outbox: OutboxMessageRecord;
  links: ParticipantLinkRecord;
}

export type TableName = keyof TableRows;

interface Table<Row> {
  file: string;
  columns: readonly string[];
  encode(row: Row): string[];
  /** Throws on a cell that no encoded row could contain. */
  decode(cells: string[]): Row;
}

export const TABLES: { readonly [Name in TableName]: Table<TableRows[Name]> } = {
  exchanges: {
    file: 'exchanges.csv',
    columns: [
      'id',
      'name',
      'budget_amount',
      'budget_currency',
      'exchange_date',
      'single_cycle',
      'status',
      'created_at',
      'drawn_at',
      'organizer_token_hash',
      'invite_code_hash',
    ],
    encode: (exchange) => [
      exchange.id,
      exchange.name,
      exchange.budget ? String(exchange.budget.amount) : '',
      exchange.budget ? exchange.budget.currency : '',
      exchange.exchangeDate ?? '',
      String(exchange.rules.singleCycle),
      exchange.status,
      exchange.createdAt,
      exchange.drawnAt ?? '',
      exchange.organizerTokenHash,
      exchange.inviteCodeHash,
    ],
    decode: ([id, name, amount, currency, exchangeDate, singleCycle, status, createdAt, drawnAt, organizerTokenHash, inviteCodeHash]) => ({
      id: id,
      name: name,
      budget: decodeBudget(amount, currency),
      exchangeDate: exchangeDate || null,
      rules: { singleCycle: decodeBoolean(singleCycle) },
      status: decodeStatus(status),
      createdAt: createdAt,
      drawnAt: drawnAt || null,
      organizerTokenHash: organizerTokenHash,
      inviteCodeHash: inviteCodeHash,
    }),
  },
  participants: {
    file: 'participants.csv',
    columns: ['id', 'exchange_id', 'name', 'email', 'wishlist', 'joined_at', 'token_hash'],
    encode: (participant) => [
      participant.id,
      participant.exchangeId,
      participant.name,
      participant.email,
      participant.wishlist,
      participant.joinedAt,
      participant.tokenHash,
    ],
    decode: ([id, exchangeId, name, email, wishlist, joinedAt, tokenHash]) => ({
      id: id,
      exchangeId: exchangeId,
      name: name,
      email: email,
      wishlist: wishlist,
      joinedAt: joinedAt,
      tokenHash: tokenHash,
    }),
  },
  exclusions: {
    file: 'exclusions.csv',
    columns: ['exchange_id', 'giver_id', 'receiver_id'],
    encode: (exclusion) => [exclusion.exchangeId, exclusion.giverId, exclusion.receiverId],
    decode: ([exchangeId, giverId, receiverId]) => ({ exchangeId: exchangeId, giverId: giverId, receiverId: receiverId }),
  },
  assignments: {
    file: 'assignments.csv',
    columns: ['exchange_id', 'giver_id', 'receiver_id'],
    encode: (assignment) => [assignment.exchangeId, assignment.giverId, assignment.receiverId],
    decode: ([exchangeId, giverId, receiverId]) => ({ exchangeId: exchangeId, giverId: giverId, receiverId: receiverId }),
  },
  idempotency: {
    file: 'idempotency.csv',
    columns: ['key_hash', 'request_hash', 'status', 'sealed_body', 'created_at'],
    encode: (record) => [record.keyHash, record.requestHash, String(record.status), record.sealedBody, record.createdAt],
    decode: ([keyHash, requestHash, status, sealedBody, createdAt]) => ({
      keyHash: keyHash,
      requestHash: requestHash,
      status: decodeInteger(status),
      sealedBody: sealedBody,
      createdAt: createdAt,
    }),
  },
  outbox: {
    file: 'outbox.csv',
    columns: [
      'id',
      'exchange_id',
      'participant_id',
      'kind',
      'status',
      'created_at',
      'attempts',
      'next_attempt_at',
      'claimed_until',
      'last_error',
      'sent_at',
    ],
    encode: (message) => [
      message.id,
      message.exchangeId,
      message.participantId,
      message.kind,
      message.status,
      message.createdAt,
      String(message.attempts),
      message.nextAttemptAt,
      message.claimedUntil ?? '',
      message.lastError ?? '',
      message.sentAt ?? '',
    ],
    decode: ([id, exchangeId, participantId, kind, status, createdAt, attempts, nextAttemptAt, claimedUntil, lastError, sentAt]) => ({
      id: id,
      exchangeId: exchangeId,
      participantId: participantId,
      kind: decodeKind(kind),
      status: decodeMessageStatus(status),
      createdAt: createdAt,
      attempts: decodeInteger(attempts),
      nextAttemptAt: nextAttemptAt,
      claimedUntil: claimedUntil || null,
      lastError: lastError || null,
      sentAt: sentAt || null,
    }),
  },
  links: {
    file: 'participant-links.csv',
    columns: ['token_hash', 'exchange_id', 'participant_id', 'message_id', 'created_at'],
    encode: (link) => [link.tokenHash, link.exchangeId, link.participantId, link.messageId, link.createdAt],
    decode: ([tokenHash, exchangeId, participantId, messageId, createdAt]) => ({
      tokenHash: tokenHash,
      exchangeId: exchangeId,
      participantId: participantId,
      messageId: messageId,
      createdAt: createdAt,
    }),
  },
};

export const TABLE_NAMES = Object.keys(TABLES) as TableName[];

/** A table's file failed to parse: it was edited by hand or damaged outside the store. */
export class CorruptTableError extends Error {
  override readonly name = 'CorruptTableError';
  constructor(file: string, problem: string, options?: { cause?: unknown }) {
    super(`${file}: ${problem}`, options);
  }
}

/** Parses a whole table file: the header must match the table's columns exactly. */
export function decodeTable<Name extends TableName>(name: Name, content: Buffer): TableRows[Name][] {
  const table: Table<TableRows[Name]> = TABLES[name];
  let records: string[][];
  try {
    // Strict parsing (the defaults): every row has as many cells as the header.
    records = parse(content) as string[][];
  } catch (error) {
    throw new CorruptTableError(table.file, 'not valid CSV', { cause: error });
  }
  const [header, ...rows] = records;
  if (!header || header.join(',') !== table.columns.join(',')) {
    throw new CorruptTableError(table.file, `expected the header ${table.columns.join(',')}`);
  }
  return rows.map((cells, index) => {
    try {
      return table.decode(cells);
    } catch (error) {
      // Line numbers are not tracked (a quoted cell may span lines); the row number is.
      throw new CorruptTableError(table.file, `row ${index + 1}: ${(error as Error).message}`, { cause: error });
    }
  });
}

/** Rows per csv-stringify call: bounds the size of each string written. */
const ROWS_PER_CHUNK = 10_000;

/** The table's file content, header first, as chunks to write one after another. */
export function* encodeTable<Name extends TableName>(name: Name, rows: readonly TableRows[Name][]): Generator<string> {
  const table: Table<TableRows[Name]> = TABLES[name];
  yield stringify([table.columns as string[]]);
  yield* encodeRows(name, rows);
}

/** Rows without the header, as chunks: what an append adds to the end of a table's file. */
export function* encodeRows<Name extends TableName>(name: Name, rows: readonly TableRows[Name][]): Generator<string> {
  const table: Table<TableRows[Name]> = TABLES[name];
  for (let start = 0; start < rows.length; start += ROWS_PER_CHUNK) {
    yield stringify(rows.slice(start, start + ROWS_PER_CHUNK).map((row) => table.encode(row)));
  }
}

function decodeBudget(amount: string, currency: string): Budget | null {
  if (amount === '' && currency === '') return null;
  const value = Number(amount);
  if (amount === '' || !Number.isFinite(value) || currency === '') throw new Error(`bad budget ${amount} ${currency}`);
  return { amount: value, currency };
}

function decodeBoolean(cell: string): boolean {
  if (cell === 'true') return true;
  if (cell === 'false') return false;
  throw new Error(`expected true or false, found ${JSON.stringify(cell)}`);
}

function decodeStatus(cell: string): ExchangeStatus {
  if (cell === 'open' || cell === 'drawn') return cell;
  throw new Error(`unknown status ${JSON.stringify(cell)}`);
}

function decodeInteger(cell: string): number {
  const value = Number(cell);
  if (cell === '' || !Number.isInteger(value)) throw new Error(`expected an integer, found ${JSON.stringify(cell)}`);
  return value;
}

function decodeKind(cell: string): OutboxKind {
  if (cell === 'drawn' || cell === 'reminder') return cell;
  throw new Error(`unknown message kind ${JSON.stringify(cell)}`);
}

function decodeMessageStatus(cell: string): OutboxStatus {
  if (cell === 'pending' || cell === 'sent' || cell === 'failed') return cell;
  throw new Error(`unknown message status ${JSON.stringify(cell)}`);
}
