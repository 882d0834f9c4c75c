import type pg from 'pg';
import {
  DomainError,
  LIMITS,
  MissingReferenceError,
  StoreUnavailableError,
  isId,
  keyParts,
  newId,
  reminderWindowStart,
  rowKey,
  type BulkStore,
  normalizeEmail,
  type DrawFunction,
  type ExchangeRecord,
  type ExchangeStore,
  type Exclusion,
  type FieldError,
  type IdempotencyIntent,
  type IdempotencyRecord,
  type MeView,
  type NewExchange,
  type OutboxClaim,
  type OutboxCounts,
  type OutboxDelivery,
  type OutboxFailure,
  type OutboxMessageRecord,
  type ParticipantLinkRecord,
  type Participant,
  type ParticipantCursor,
  type ParticipantRecord,
  type TableName,
  type TableRowTypes,
} from '@santa/domain';
import { BULK_READS, BULK_SQL, INSERTS, fromRow, insertParameters, pairParameters } from './bulk-sql';
import { assertSchemaCurrent, migratePostgres } from './migrate';
import { createPool, toStoreError, type PoolOptions } from './pool';
import {
  exchangeParameters,
  rowToExchange,
  rowToExclusion,
  rowToIdempotencyRecord,
  rowToMeView,
  rowToParticipant,
  rowToParticipantRecord,
  rowToDelivery,
  type DueOutboxRow,
  type ExchangeRow,
  type ExclusionRow,
  type IdempotencyRow,
  type MeViewRow,
  type ParticipantPageRow,
  type ParticipantRow,
} from './rows';
import { SQL, type Statement } from './sql';

export type PostgresStoreOptions = PoolOptions;

/** Runs the statements of one transaction on its connection. */
interface Transaction {
  query<Row extends pg.QueryResultRow>(statement: Statement, values?: unknown[]): Promise<Row[]>;
}

/**
 * Migrates the database (waiting for another process that is migrating it) and
 * opens a store on a connection pool. Throws when the schema is newer than this code.
 * Read-only, it migrates nothing: the schema must be current already.
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  try {
    if (options.readOnly) await assertSchemaCurrent(options.connectionString);
    else await migratePostgres(options.connectionString);
  } catch (error) {
    throw toStoreError(error);
  }
  return new PostgresStore(createPool(options));
}

/**
 * The store on PostgreSQL. Reads are single statements on the pool; every write is
 * one READ COMMITTED transaction that starts by locking the row of its exchange, so
 * the writes of one exchange take turns and a draw sees a set of participants and
 * exclusions that nobody changes until it commits. See the README for why that is
 * enough, and for what happens while the database is down.
 */
export class PostgresStore implements ExchangeStore, BulkStore {
  private readonly inFlight = new Set<Promise<unknown>>();
  private closing: Promise<void> | undefined;
  /** Single statements outside a transaction, for writes that need no other. */
  private readonly autocommit: Transaction = { query: (statement, values) => this.query(statement, values) };

  constructor(private readonly pool: pg.Pool) {}

  async ping(): Promise<void> {
    await this.run(() => this.query(SQL.ping));
  }

  /** Lets operations in flight finish, then closes every connection. Later calls fail with StoreUnavailableError. */
  close(): Promise<void> {
    this.closing ??= Promise.allSettled(this.inFlight).then(() => this.pool.end());
    return this.closing;
  }

  async dataVersion(): Promise<string> {
    return this.run(async () => {
      const [row] = await this.query<{ migrations: number }>(BULK_SQL.dataVersion);
      return `postgres/${row?.migrations ?? 0}`;
    });
  }

  async countRows(table: TableName): Promise<number> {
    return this.run(async () => {
      const [row] = await this.query<{ rows: number }>(BULK_READS[table].count);
      return row?.rows ?? 0;
    });
  }

  async readRows<T extends TableName>(table: T, afterKey: string | null, limit: number): Promise<TableRowTypes[T][]> {
    return this.run(async () => {
      const reads = BULK_READS[table];
      const rows =
        afterKey === null
          ? await this.query(reads.first, [limit])
          : await this.query(reads.after, [...keyParts(afterKey), limit]);
      return rows.map((row) => fromRow(table, row));
    });
  }

  async lastRowKey(table: TableName): Promise<string | null> {
    return this.run(async () => {
      const [row] = await this.query(BULK_READS[table].last);
      return row === undefined ? null : rowKey(table, fromRow(table, row));
    });
  }

  async writeRows<T extends TableName>(table: T, rows: TableRowTypes[T][]): Promise<{ written: number; skipped: number }> {
    if (rows.length === 0) return { written: 0, skipped: 0 };
    return this.run(() =>
      this.transaction(async (tx) => {
        // Sent together, the check first: its answer arrives with the insert's, and a
        // refusal rolls both back. A missing reference also fails the insert where a
        // foreign key catches it; the check's error names the row.
        const [missing, inserted] = await Promise.allSettled([
          this.missingReference(tx, table, rows),
          tx.query<{ written: number }>(INSERTS[table], insertParameters(table, rows)),
        ]);
        if (missing.status === 'rejected') throw missing.reason;
        if (missing.value) throw missing.value;
        if (inserted.status === 'rejected') throw inserted.reason;
        const written = inserted.value[0]?.written ?? 0;
        return { written, skipped: rows.length - written };
      }),
    );
  }

  /** The first row of the batch that refers to a row the database does not have. */
  private async missingReference<T extends TableName>(
    tx: Transaction,
    table: T,
    rows: TableRowTypes[T][],
  ): Promise<MissingReferenceError | null> {
    if (table === 'participants') {
      const participants = rows as ParticipantRecord[];
      const [orphan] = await tx.query<{ exchange_id: string; id: string }>(BULK_SQL.participantWithoutExchange, [
        participants.map((participant) => participant.exchangeId),
        participants.map((participant) => participant.id),
      ]);
      return orphan
        ? new MissingReferenceError(table, `${orphan.exchange_id}/${orphan.id}`, `exchange ${orphan.exchange_id}`)
        : null;
    }
    if (table === 'exclusions' || table === 'assignments') {
      const pairTable: 'exclusions' | 'assignments' = table;
      const pairs = rows as TableRowTypes['exclusions'][];
      const [pair] = await tx.query<{ exchange_id: string; giver_id: string; receiver_id: string; missing: string }>(
        BULK_SQL.pairWithoutParticipant,
        pairParameters(pairs),
      );
      if (!pair) return null;
      const row = { exchangeId: pair.exchange_id, giverId: pair.giver_id, receiverId: pair.receiver_id };
      return new MissingReferenceError(table, rowKey(pairTable, row), `participant ${pair.exchange_id}/${pair.missing}`);
    }
    if (table === 'outboxMessages') {
      const messages = rows as OutboxMessageRecord[];
      const [orphan] = await tx.query<{ id: string; exchange_id: string; participant_id: string }>(
        BULK_SQL.messageWithoutParticipant,
        [messages.map(({ id }) => id), messages.map(({ exchangeId }) => exchangeId), messages.map(({ participantId }) => participantId)],
      );
      return orphan
        ? new MissingReferenceError(table, orphan.id, `participant ${orphan.exchange_id}/${orphan.participant_id}`)
        : null;
    }
    if (table === 'participantLinks') {
      const links = rows as ParticipantLinkRecord[];
      const [orphan] = await tx.query<{ token_hash: string; message_id: string }>(BULK_SQL.linkWithoutMessage, [
        links.map(({ tokenHash }) => tokenHash),
        links.map(({ messageId }) => messageId),
      ]);
      return orphan ? new MissingReferenceError(table, orphan.token_hash, `outbox message ${orphan.message_id}`) : null;
    }
    return null;
  }

  async getIdempotencyRecord(keyHash: string, notBefore: string): Promise<IdempotencyRecord | null> {
    return this.run(async () => {
      const [row] = await this.query<IdempotencyRow>(SQL.idempotencyRecord, [keyHash, notBefore]);
      return row ? rowToIdempotencyRecord(row) : null;
    });
  }

  async purgeIdempotencyRecords(before: string): Promise<number> {
    return this.run(async () => {
      const result = await this.pool.query({ ...SQL.purgeIdempotencyRecords, values: [before] });
      return result.rowCount ?? 0;
    });
  }

  async createExchange(
    exchange: NewExchange,
    idempotency?: IdempotencyIntent<ExchangeRecord>,
  ): Promise<ExchangeRecord> {
    const record: ExchangeRecord = {
      ...exchange,
      budget: exchange.budget && { ...exchange.budget },
      rules: { ...exchange.rules },
      participantCount: 0,
      wishlistCount: 0,
      exclusionCount: 0,
    };
    const insert = async (tx: Transaction) => {
      await tx.query(SQL.insertExchange, exchangeParameters(exchange));
      return record;
    };
    return this.run(async () => {
      try {
        // Without a key there is nothing to write with it: one statement, no transaction.
        return idempotency
          ? await this.transaction((tx) => this.withIdempotency(tx, idempotency, insert))
          : await insert(this.autocommit);
      } catch (error) {
        if (isUniqueViolation(error, 'exchanges_pkey')) {
          throw new Error(`Exchange ${exchange.id} already exists.`, { cause: error });
        }
        throw error;
      }
    });
  }

  async getExchange(exchangeId: string): Promise<ExchangeRecord | null> {
    return this.run(async () => {
      if (!isId(exchangeId)) return null;
      const [row] = await this.query<ExchangeRow>(SQL.exchangeById, [exchangeId]);
      return row ? rowToExchange(row) : null;
    });
  }

  async getExchangeByOrganizerTokenHash(tokenHash: string): Promise<ExchangeRecord | null> {
    return this.run(async () => {
      const [row] = await this.query<ExchangeRow>(SQL.exchangeByOrganizerToken, [tokenHash]);
      return row ? rowToExchange(row) : null;
    });
  }

  async addParticipants(
    exchangeId: string,
    participants: ParticipantRecord[],
    idempotency?: IdempotencyIntent<ParticipantRecord[]>,
  ): Promise<ParticipantRecord[]> {
    const added = participants.map((participant) => ({ ...participant, exchangeId }));
    const emailKeys = added.map((participant) => normalizeEmail(participant.email));
    return this.write(exchangeId, idempotency, async (tx, exchange) => {
      if (exchange.participantCount + added.length > LIMITS.participantsPerExchange) {
        throw new DomainError(
          'participant_limit',
          `An exchange can have at most ${LIMITS.participantsPerExchange} participants; ` +
            `this one has ${exchange.participantCount}, and ${added.length} more would exceed that.`,
        );
      }
      const batchKeys = new Set<string>();
      added.forEach((participant, index) => {
        if (batchKeys.has(emailKeys[index])) throw duplicateEmail(participant);
        batchKeys.add(emailKeys[index]);
      });

      const [{ inserted } = { inserted: 0 }] = await tx.query<{ inserted: number }>(SQL.insertParticipants, [
        exchangeId,
        added.map((participant) => participant.id),
        added.map((participant) => participant.name),
        added.map((participant) => participant.email),
        emailKeys,
        added.map((participant) => participant.wishlist),
        added.map((participant) => participant.joinedAt),
        added.map((participant) => participant.tokenHash),
      ]);
      if (inserted !== added.length) {
        // Rows whose address the exchange already had were skipped: name the first of them.
        const taken = await tx.query<{ email_key: string }>(SQL.takenEmails, [
          exchangeId,
          emailKeys,
          added.map((participant) => participant.id),
        ]);
        const takenKeys = new Set(taken.map((row) => row.email_key));
        const duplicate = added.find((_, index) => takenKeys.has(emailKeys[index]));
        throw duplicate ? duplicateEmail(duplicate) : new DomainError('duplicate_email');
      }
      return added.map((participant) => ({ ...participant }));
    });
  }

  async listParticipants(
    exchangeId: string,
    page: { limit: number; after?: ParticipantCursor },
  ): Promise<Participant[]> {
    return this.run(async () => {
      if (!isId(exchangeId)) return [];
      const rows = page.after
        ? await this.query<ParticipantPageRow>(SQL.participantsAfter, [
            exchangeId,
            page.after.joinedAt,
            page.after.id,
            page.limit,
          ])
        : await this.query<ParticipantPageRow>(SQL.participantsFirstPage, [exchangeId, page.limit]);
      return rows.map(rowToParticipant);
    });
  }

  async removeParticipant(exchangeId: string, participantId: string): Promise<void> {
    await this.write(exchangeId, undefined, async (tx) => {
      const removed = isId(participantId) ? await tx.query(SQL.removeParticipant, [exchangeId, participantId]) : [];
      if (removed.length === 0) throw new DomainError('not_found', 'No such participant in this exchange.');
    });
  }

  async listExclusions(exchangeId: string): Promise<Exclusion[]> {
    return this.run(async () => {
      if (!isId(exchangeId)) return [];
      return (await this.query<ExclusionRow>(SQL.exclusions, [exchangeId])).map(rowToExclusion);
    });
  }

  async replaceExclusions(exchangeId: string, exclusions: Exclusion[]): Promise<Exclusion[]> {
    // A set: the first of equal pairs keeps its place. Ids are UUIDs, compared as the database compares them.
    const unique = new Map<string, Exclusion>();
    for (const { giverId, receiverId } of exclusions) {
      const exclusion = { giverId: giverId.toLowerCase(), receiverId: receiverId.toLowerCase() };
      const key = `${exclusion.giverId} ${exclusion.receiverId}`;
      if (!unique.has(key)) unique.set(key, exclusion);
    }
    const replacement = [...unique.values()];

    return this.write(exchangeId, undefined, async (tx) => {
      const ids = [...new Set(replacement.flatMap(({ giverId, receiverId }) => [giverId, receiverId]))].filter(isId);
      const found = ids.length === 0 ? [] : await tx.query<{ id: string }>(SQL.participantIds, [exchangeId, ids]);
      const members = new Set(found.map(({ id }) => id));
      const errors = exclusionErrors(exclusions, (id) => members.has(id.toLowerCase()));
      if (errors.length > 0) {
        throw new DomainError(
          'validation_failed',
          'Every exclusion must name two different participants of this exchange.',
          errors,
        );
      }
      // Sent together; the server runs them in order.
      await Promise.all([
        tx.query(SQL.deleteExclusions, [exchangeId]),
        tx.query(SQL.insertExclusions, [
          exchangeId,
          replacement.map(({ giverId }) => giverId),
          replacement.map(({ receiverId }) => receiverId),
        ]),
      ]);
      return replacement.map((exclusion) => ({ ...exclusion }));
    });
  }

  async draw(
    exchangeId: string,
    drawnAt: string,
    compute: DrawFunction,
    idempotency?: IdempotencyIntent<ExchangeRecord>,
  ): Promise<ExchangeRecord> {
    // The exchange row stays locked from the first read to the commit: no join,
    // removal, exclusion change or second draw, from any process, can slip in
    // between what the draw read and what it writes.
    return this.write(exchangeId, idempotency, async (tx, exchange) => {
      const [participants, exclusionRows] = await Promise.all([
        tx.query<{ id: string; name: string }>(SQL.drawParticipants, [exchangeId]),
        tx.query<ExclusionRow>(SQL.exclusions, [exchangeId]),
      ]);
      const exclusions = exclusionRows.map(rowToExclusion);
      const assignments = compute({ participants, exclusions, rules: { ...exchange.rules } });
      const [stored] = await tx.query<{ inserted: number }>(SQL.insertAssignments, [
        exchangeId,
        assignments.map(({ giverId }) => giverId),
        assignments.map(({ receiverId }) => receiverId),
      ]);
      if (stored?.inserted !== assignments.length) {
        throw new Error('The draw assigned somebody who is not a participant of this exchange; nothing was stored.');
      }
      const [[row]] = await Promise.all([
        tx.query<ExchangeRow>(SQL.markDrawn, [exchangeId, drawnAt]),
        tx.query(SQL.insertOutboxMessages, [
          exchangeId,
          participants.map(({ id }) => id),
          'drawn',
          drawnAt,
          participants.map(() => newId()),
        ]),
      ]);
      if (!row) throw new Error('UPDATE ... RETURNING returned no row for a locked exchange');
      return rowToExchange(row);
    });
  }

  async getMeView(participantTokenHash: string): Promise<MeView | null> {
    return this.run(async () => {
      const [row] = await this.query<MeViewRow>(SQL.meView, [participantTokenHash]);
      if (row) return rowToMeView(row);
      const [linked] = await this.query<MeViewRow>(SQL.meViewByLink, [participantTokenHash]);
      return linked ? rowToMeView(linked) : null;
    });
  }

  /** The own token hash of the participant a link token was e-mailed to, or null. */
  private async participantTokenOfLink(linkTokenHash: string): Promise<string | null> {
    const [row] = await this.query<{ token_hash: string }>(SQL.participantTokenOfLink, [linkTokenHash]);
    return row?.token_hash ?? null;
  }

  async updateWishlist(participantTokenHash: string, wishlist: string): Promise<ParticipantRecord | null> {
    return this.run(async () => {
      const updated = await this.updateWishlistByOwnToken(participantTokenHash, wishlist);
      if (updated) return updated;
      const ownHash = await this.participantTokenOfLink(participantTokenHash);
      return ownHash === null ? null : this.updateWishlistByOwnToken(ownHash, wishlist);
    });
  }

  async queueReminders(exchangeId: string, queuedAt: string, idempotency?: IdempotencyIntent<number>): Promise<number> {
    return this.run(async () => {
      if (!isId(exchangeId)) throw new DomainError('not_found', 'No such exchange.');
      return this.transaction(async (tx) => {
        // The exchange's lock orders this with wishlist updates and other reminder requests.
        const [exchange] = await tx.query<ExchangeRow>(SQL.lockExchange, [exchangeId]);
        if (!exchange) throw new DomainError('not_found', 'No such exchange.');
        const queue = async (tx: Transaction) => {
          const recipients = await tx.query<{ id: string }>(SQL.reminderRecipients, [exchangeId, reminderWindowStart(queuedAt)]);
          if (recipients.length > 0) {
            await tx.query(SQL.insertOutboxMessages, [
              exchangeId,
              recipients.map(({ id }) => id),
              'reminder',
              queuedAt,
              recipients.map(() => newId()),
            ]);
          }
          return recipients.length;
        };
        return idempotency ? this.withIdempotency(tx, idempotency, queue) : queue(tx);
      });
    });
  }

  async claimOutboxMessages({ now, leaseUntil, linkTokenHashes }: OutboxClaim): Promise<OutboxDelivery[]> {
    if (linkTokenHashes.length === 0) return [];
    return this.run(() =>
      this.transaction(async (tx) => {
        const due = await tx.query<DueOutboxRow>(SQL.dueOutboxMessages, [now, linkTokenHashes.length]);
        if (due.length === 0) return [];
        const hashes = linkTokenHashes.slice(0, due.length);
        await tx.query(SQL.leaseOutboxMessages, [now, leaseUntil, due.map(({ id }) => id), hashes]);
        return due.map((row, index) => rowToDelivery(row, leaseUntil, hashes[index]));
      }),
    );
  }

  async completeOutboxMessage(messageId: string, sentAt: string): Promise<void> {
    if (!isId(messageId)) return;
    await this.run(() => this.query(SQL.completeOutboxMessage, [messageId, sentAt]));
  }

  async failOutboxMessage(messageId: string, { linkTokenHash, error, retryAt }: OutboxFailure): Promise<void> {
    if (!isId(messageId)) return;
    await this.run(() => this.query(SQL.failOutboxMessage, [messageId, linkTokenHash, error, retryAt]));
  }

  async countOutboxMessages(): Promise<OutboxCounts> {
    return this.run(async () => {
      const [row] = await this.query<OutboxCounts>(SQL.countOutboxMessages);
      return { pending: row?.pending ?? 0, failed: row?.failed ?? 0 };
    });
  }

  private async updateWishlistByOwnToken(participantTokenHash: string, wishlist: string): Promise<ParticipantRecord | null> {
    // Lock the exchange, as every write does first, then update; sent together with
    // BEGIN and COMMIT in one round trip, so the lock is held for no network wait.
    const [, rows] = await this.transactionInOneTrip([
      [SQL.lockExchangeOfParticipant, [participantTokenHash]],
      [SQL.updateWishlist, [participantTokenHash, wishlist]],
    ]);
    const [row] = rows as ParticipantRow[];
    return row ? rowToParticipantRecord(row) : null;
  }

  /** One statement on any pooled connection. */
  private async query<Row extends pg.QueryResultRow>(statement: Statement, values: unknown[] = []): Promise<Row[]> {
    return (await this.pool.query<Row>({ ...statement, values })).rows;
  }

  /**
   * Runs one operation of the port: refused once the store is closing, tracked until
   * it settles so that `close()` can wait for it, and with database outages turned
   * into StoreUnavailableError.
   */
  private run<T>(operation: () => Promise<T>): Promise<T> {
    if (this.closing) return Promise.reject(new StoreUnavailableError('The store is closed.'));
    const running = operation().catch((error: unknown) => {
      throw toStoreError(error);
    });
    this.inFlight.add(running);
    const forget = () => this.inFlight.delete(running);
    running.then(forget, forget);
    return running;
  }

  /**
   * A write to one exchange: locks its row, checks that it exists and is still open,
   * claims the idempotency key, does the work and records the response, all in one
   * transaction.
   */
  private write<T>(
    exchangeId: string,
    idempotency: IdempotencyIntent<T> | undefined,
    work: (tx: Transaction, exchange: ExchangeRecord) => Promise<T>,
  ): Promise<T> {
    return this.run(async () => {
      if (!isId(exchangeId)) throw new DomainError('not_found', 'No such exchange.');
      return this.transaction(async (tx) => {
        const [row] = await tx.query<ExchangeRow>(SQL.lockExchange, [exchangeId]);
        if (!row) throw new DomainError('not_found', 'No such exchange.');
        if (row.status === 'drawn') throw new DomainError('already_drawn');
        const exchange = rowToExchange(row);
        return idempotency ? this.withIdempotency(tx, idempotency, (tx) => work(tx, exchange)) : work(tx, exchange);
      });
    });
  }

  /** Claims the key before the work, and records the response after it, in the caller's transaction. */
  private async withIdempotency<T>(
    tx: Transaction,
    idempotency: IdempotencyIntent<T>,
    work: (tx: Transaction) => Promise<T>,
  ): Promise<T> {
    const claimed = await tx.query(SQL.claimIdempotencyKey, [
      idempotency.keyHash,
      idempotency.requestHash,
      idempotency.createdAt,
      idempotency.replaceBefore,
    ]);
    if (claimed.length === 0) throw new DomainError('idempotency_key_in_use');
    const result = await work(tx);
    const { status, sealedBody } = idempotency.respond(result);
    await tx.query(SQL.answerIdempotencyKey, [idempotency.keyHash, status, sealedBody]);
    return result;
  }

  /**
   * BEGIN, the work, COMMIT; ROLLBACK when anything throws. The pool's connections
   * pipeline, so BEGIN goes out with the work's first statement, not a round trip
   * before it.
   */
  private async transaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    return this.withConnection(async (client) => {
      const tx: Transaction = {
        query: async <Row extends pg.QueryResultRow>(statement: Statement, values: unknown[] = []) =>
          (await client.query<Row>({ ...statement, values })).rows,
      };
      const [, result] = await Promise.all([client.query('BEGIN'), work(tx)]);
      await client.query('COMMIT');
      return result;
    });
  }

  /**
   * A transaction of statements that need no answer from each other, sent at once:
   * BEGIN, the statements and COMMIT in one round trip. When a statement fails, the
   * ones after it fail too (the transaction is aborted) and COMMIT rolls back.
   */
  private async transactionInOneTrip(statements: Array<[Statement, unknown[]]>): Promise<pg.QueryResultRow[][]> {
    return this.withConnection(async (client) => {
      const [, ...results] = await Promise.all([
        client.query('BEGIN'),
        ...statements.map(([statement, values]) => client.query({ ...statement, values })),
        client.query('COMMIT'),
      ]);
      return results.slice(0, statements.length).map((result) => result.rows);
    });
  }

  /**
   * Runs `use` on a connection of its own, rolling back whatever it left open when it
   * throws. A connection that broke on the way is destroyed rather than returned to the pool.
   */
  private async withConnection<T>(use: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    // A checked-out connection reports its failures to whoever holds it; the
    // failing query rejects too, which is where the error is handled.
    let broken: Error | undefined;
    const onError = (error: Error) => {
      broken = error;
    };
    client.on('error', onError);
    try {
      return await use(client);
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        broken ??= rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      });
      throw error;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }
}

function duplicateEmail(participant: ParticipantRecord): DomainError {
  return new DomainError('duplicate_email', `Somebody in this exchange already uses ${participant.email}.`);
}

function exclusionErrors(exclusions: Exclusion[], isMember: (id: string) => boolean): FieldError[] {
  const errors: FieldError[] = [];
  exclusions.forEach(({ giverId, receiverId }, index) => {
    const ends = { giverId, receiverId };
    for (const [field, id] of Object.entries(ends)) {
      if (!isMember(id)) {
        errors.push({ path: `/exclusions/${index}/${field}`, message: 'is not a participant of this exchange' });
      }
    }
    if (giverId.toLowerCase() === receiverId.toLowerCase()) {
      errors.push({ path: `/exclusions/${index}`, message: 'giver and receiver must be different people' });
    }
  });
  return errors;
}

function isUniqueViolation(error: unknown, constraint: string): boolean {
  const { code, constraint: violated } = error as { code?: unknown; constraint?: unknown };
  return code === '23505' && violated === constraint;
}
