import {
  DomainError,
  LIMITS,
  addParticipantSchema,
  isDomainError,
  normalizeEmail,
  toFieldErrors,
  toParticipant,
  type AddParticipantInput,
  type ExchangeStore,
  type FieldError,
  type Participant,
  type ParticipantRecord,
} from '@santa/domain';
import { authorizeOrganizer } from '../auth';
import { readBody } from '../body';
import { param, type Handler, type RouteContext } from '../context';
import { CSV_HEADER, parseParticipantsCsv, participantsToCsv, type CsvRow } from '../csv';
import { respondIdempotently } from '../idempotency';
import { newParticipant } from './participants';

const PAGE = 1000;

async function allParticipants(store: ExchangeStore, exchangeId: string): Promise<Participant[]> {
  const all: Participant[] = [];
  for (;;) {
    const last = all.at(-1);
    const page = await store.listParticipants(exchangeId, { limit: PAGE, after: last && { joinedAt: last.joinedAt, id: last.id } });
    all.push(...page);
    if (page.length < PAGE) return all;
  }
}

interface CheckedRow {
  line: number;
  input: AddParticipantInput;
}

/** Every row through the JSON route's schema; an error path is `/<line>/<column>`. */
function checkRows(rows: readonly CsvRow[], errors: FieldError[]): CheckedRow[] {
  const checked: CheckedRow[] = [];
  const firstLineByEmail = new Map<string, number>();
  for (const { line, cells } of rows) {
    if (cells.length !== CSV_HEADER.length) {
      errors.push({ path: `/${line}`, message: `Expected ${CSV_HEADER.length} fields (${CSV_HEADER.join(',')}), found ${cells.length}.` });
      continue;
    }
    const [name, email, wishlist] = cells;
    const result = addParticipantSchema.safeParse({ name, email, wishlist });
    if (!result.success) {
      errors.push(...toFieldErrors(result.error, `/${line}`));
      continue;
    }
    const normalized = normalizeEmail(result.data.email);
    const first = firstLineByEmail.get(normalized);
    if (first !== undefined) {
      errors.push({ path: `/${line}/email`, message: `Repeats the e-mail address on line ${first}.` });
      continue;
    }
    firstLineByEmail.set(normalized, line);
    checked.push({ line, input: result.data });
  }
  return checked;
}

async function checkAgainstExisting(
  store: ExchangeStore,
  exchangeId: string,
  rows: readonly CheckedRow[],
  errors: FieldError[],
): Promise<void> {
  const taken = new Set((await allParticipants(store, exchangeId)).map(({ email }) => normalizeEmail(email)));
  for (const { line, input } of rows) {
    if (taken.has(normalizeEmail(input.email))) {
      errors.push({ path: `/${line}/email`, message: 'Somebody in this exchange already uses this e-mail address.' });
    }
  }
}

function invalidRows(errors: FieldError[], rowCount: number): DomainError {
  const badLines = new Set(errors.map(({ path }) => path.split('/')[1])).size;
  return new DomainError(
    'validation_failed',
    `${badLines} of ${rowCount} rows are invalid; nothing was imported. See errors (path /<line>/<column>).`,
    errors.sort((a, b) => Number(a.path.split('/')[1]) - Number(b.path.split('/')[1])),
  );
}

export function participantCsvRoutes(context: RouteContext): Record<'export' | 'import', Handler> {
  const { store, clock } = context;

  return {
    /** GET /api/v1/exchanges/:id/participants.csv */
    async export(req, res) {
      const { exchange } = await authorizeOrganizer(store, req, param(req, 'id'));
      const csv = participantsToCsv(await allParticipants(store, exchange.id));
      res.statusCode = 200;
      res.setHeader('Content-Type', 'text/csv; charset=utf-8');
      res.setHeader('Content-Disposition', `attachment; filename="participants-${exchange.id}.csv"`);
      res.setHeader('Content-Length', Buffer.byteLength(csv));
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.end(csv);
    },

    /**
     * POST /api/v1/exchanges/:id/participants.csv: all rows or none. Every bad row is
     * reported at once, with its line: schema errors, an address repeated in the file,
     * an address already in the exchange.
     */
    async import(req, res) {
      const { exchange, tokenHash } = await authorizeOrganizer(store, req, param(req, 'id'));
      const body = await readBody(req, 'csv');
      let tokens: string[] = [];
      await respondIdempotently(context, req, res, { credentialHash: tokenHash, body }, {
        async write(intent) {
          if (exchange.status === 'drawn') throw new DomainError('already_drawn');
          const rows = parseParticipantsCsv(body.bytes);
          if (rows.length === 0) {
            throw new DomainError('validation_failed', 'The file has a header but no participants.', [
              { path: '/2', message: 'Expected at least one participant row after the header.' },
            ]);
          }
          const errors: FieldError[] = [];
          const checked = checkRows(rows, errors);
          await checkAgainstExisting(store, exchange.id, checked, errors);
          if (errors.length > 0) throw invalidRows(errors, rows.length);
          if (exchange.participantCount + rows.length > LIMITS.participantsPerExchange) {
            throw new DomainError(
              'participant_limit',
              `The exchange has ${exchange.participantCount} participants; ${rows.length} more would pass the limit of ${LIMITS.participantsPerExchange}.`,
            );
          }

          const added = checked.map(({ input }) => newParticipant(exchange.id, input, clock));
          tokens = added.map(({ token }) => token);
          try {
            return await store.addParticipants(exchange.id, added.map(({ record }) => record), intent);
          } catch (error) {
            // Somebody joined with one of these addresses since the check: report the rows.
            if (isDomainError(error, 'duplicate_email')) {
              await checkAgainstExisting(store, exchange.id, checked, errors);
              if (errors.length > 0) throw invalidRows(errors, rows.length);
            }
            throw error;
          }
        },
        render: (participants: ParticipantRecord[]) => ({
          status: 201,
          body: {
            created: participants.length,
            participants: participants.map((participant, index) => ({
              participant: toParticipant(participant),
              participantToken: tokens[index],
            })),
          },
        }),
      });
    },
  };
}
