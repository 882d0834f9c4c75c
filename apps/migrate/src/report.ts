import { TABLES } from '@santa/domain';
import type { MigrationReport } from './migrate';
import { formatCount, formatSeconds } from './progress';

/** A table of text, columns padded; the first column left-aligned, the others right-aligned. */
export function textTable(rows: string[][]): string[] {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return rows.map((row) =>
    row
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column])))
      .join('  ')
      .trimEnd(),
  );
}

function rate(rows: number, seconds: number): string {
  return seconds > 0 ? formatCount(rows / seconds) : '-';
}

/** The summary a person reads at the end of a run. */
export function formatReport(report: MigrationReport): string {
  const lines = [
    `from ${report.from.location} (${report.from.dataVersion ?? 'nothing there yet'})`,
    `to   ${report.to.location} (${report.to.dataVersion ?? 'nothing there yet'})`,
    '',
  ];
  const { plan, copy, comparison, audit } = report;

  if (plan) {
    lines.push(
      ...textTable([
        ['table', 'in source', 'in target', 'to copy'],
        ...TABLES.map((table) => {
          const row = plan.tables[table];
          return [table, formatCount(row.source), formatCount(row.target), formatCount(row.toCopy)];
        }),
      ]),
      '',
      plan.refusal ?? 'dry run: nothing was written; a copy would go ahead.',
    );
    return lines.join('\n');
  }

  const checksum = (table: (typeof TABLES)[number]) => comparison?.tables[table].checksum.target.slice(0, 16) ?? '';
  if (copy) {
    const copied = TABLES.reduce((sum, table) => sum + copy.tables[table].rows, 0);
    const written = TABLES.reduce((sum, table) => sum + copy.tables[table].written, 0);
    const skipped = TABLES.reduce((sum, table) => sum + copy.tables[table].skipped, 0);
    lines.push(
      ...textTable([
        ['table', 'rows', 'written', 'skipped', 'seconds', 'rows/s', 'sha-256 (first 16)'],
        ...TABLES.map((table) => {
          const row = copy.tables[table];
          return [
            table,
            formatCount(row.rows),
            formatCount(row.written),
            formatCount(row.skipped),
            formatSeconds(row.seconds),
            rate(row.rows, row.seconds),
            checksum(table),
          ];
        }),
        ['all', formatCount(copied), formatCount(written), formatCount(skipped), formatSeconds(copy.seconds), rate(copied, copy.seconds), ''],
      ]),
    );
    const resumed = TABLES.filter((table) => copy.tables[table].resumedAfter !== null);
    if (resumed.length > 0) lines.push(`resumed after the target's last key in: ${resumed.join(', ')}`);
  } else if (comparison) {
    lines.push(
      ...textTable([
        ['table', 'source rows', 'target rows', 'sha-256 (first 16)'],
        ...TABLES.map((table) => {
          const { rows } = comparison.tables[table];
          return [table, formatCount(rows.source), formatCount(rows.target), checksum(table)];
        }),
      ]),
    );
  }

  if (comparison && audit) {
    lines.push('');
    if (comparison.firstDifference) {
      const { table, key, kind, fields } = comparison.firstDifference;
      lines.push(`MISMATCH in ${table} at key ${key}: ${kind}${fields ? ` (${fields.join(', ')})` : ''}`);
      for (const name of TABLES) {
        const { rows, firstDifference } = comparison.tables[name];
        if (firstDifference) lines.push(`  ${name}: source ${formatCount(rows.source)} rows, target ${formatCount(rows.target)}`);
      }
    } else {
      lines.push(
        `verified in ${formatSeconds(comparison.seconds)} s: both stores hold the same rows in every table ` +
          '(row by row, counts and checksums equal)',
      );
    }
    lines.push(
      audit.problem
        ? `BROKEN DRAW: ${audit.problem}`
        : `draws intact: ${formatCount(audit.drawnExchanges)} drawn exchanges, ${formatCount(audit.assignments)} assignments, ` +
            `each a permutation of its participants (${formatSeconds(audit.seconds)} s)`,
    );
  }
  lines.push(`total ${formatSeconds(report.seconds)} s`);
  return lines.join('\n');
}
