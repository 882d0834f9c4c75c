import { CsvError, parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { DomainError, type Participant } from '@santa/domain';
import { decodeUtf8 } from './body';

/** The one header both directions use. */
export const CSV_HEADER = ['name', 'email', 'wishlist'] as const;

/** A data row and the line of the file it starts on (the header is line 1). */
export interface CsvRow {
  line: number;
  cells: string[];
}

const LF = 0x0a;
const CR = 0x0d;

interface ParsedRecord {
  record: string[];
  info: { bytes: number };
}

/**
 * Parses an upload into its data rows. A byte-order mark is tolerated, empty lines are
 * skipped, a row may span lines inside quotes. Unparseable CSV (an unclosed quote, a
 * stray quote, invalid UTF-8) is `malformed_csv`; a wrong header is `validation_failed`.
 * Rows are returned with any number of cells: checking them is the caller's job, so
 * that every bad row can be reported at once.
 */
export function parseParticipantsCsv(bytes: Buffer): CsvRow[] {
  decodeUtf8(bytes, 'malformed_csv');
  let records: ParsedRecord[];
  try {
    // With `info`, each record comes with where it ends; csv-parse's types do not say so.
    records = parse(bytes, { bom: true, info: true, relax_column_count: true, skip_empty_lines: true }) as unknown as ParsedRecord[];
  } catch (error) {
    if (error instanceof CsvError) throw new DomainError('malformed_csv', `The CSV cannot be parsed: ${error.message}`);
    throw error;
  }

  const [header] = records;
  if (header === undefined || header.record.join(',') !== CSV_HEADER.join(',') || header.record.length !== 3) {
    throw new DomainError('validation_failed', `The first line must be the header ${CSV_HEADER.join(',')}.`, [
      { path: '/1', message: `Expected exactly ${CSV_HEADER.join(',')}.` },
    ]);
  }

  // csv-parse reports where a record ends, in bytes; a row's line is where it starts,
  // after the empty lines skipped before it. Files with bare CR line ends count CRs.
  const newline = bytes.includes(LF) ? LF : CR;
  const rows: CsvRow[] = [];
  let offset = 0;
  let line = 1;
  for (const [index, { record, info }] of records.entries()) {
    let start = offset;
    while (start < info.bytes && (bytes[start] === LF || bytes[start] === CR)) start++;
    line += countByte(bytes, newline, offset, start);
    if (index > 0) rows.push({ line, cells: record });
    line += countByte(bytes, newline, start, info.bytes);
    offset = info.bytes;
  }
  return rows;
}

function countByte(bytes: Buffer, byte: number, from: number, to: number): number {
  let count = 0;
  for (let i = bytes.indexOf(byte, from); i !== -1 && i < to; i = bytes.indexOf(byte, i + 1)) count++;
  return count;
}

/**
 * A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (or a tab or CR
 * before one) as a formula. A leading single quote makes it text (OWASP CSV injection).
 */
export function neutraliseCell(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/** RFC 4180 (CRLF line ends, quotes where needed), formulas neutralised. */
export function participantsToCsv(participants: readonly Participant[]): string {
  return stringify(
    participants.map(({ name, email, wishlist }) => [neutraliseCell(name), neutraliseCell(email), neutraliseCell(wishlist)]),
    { header: true, columns: [...CSV_HEADER], record_delimiter: 'windows' },
  );
}
