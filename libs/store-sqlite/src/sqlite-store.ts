import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import {
  DomainError,
  LIMITS,
  StoreUnavailableError,
  isId,
  newId,
  normalizeEmail,
  reminderWindowStart,
  type BulkStore,
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
  type OutboxKind,
  type Participant,
  type ParticipantCursor,
  type ParticipantRecord,
  type TableName,
  type TableRowTypes,
} from '@santa/domain';
import { BulkRows } from './bulk-rows';
import { SchemaTooNewError, loadMigrations, migrate } from './migrate';
import {
  exchangeToRow,
  rowToExchange,
  rowToIdempotencyRecord,
  rowToMeView,
  rowToParticipant,
  rowToDelivery,
  rowToParticipantRecord,
  type DueOutboxRow,
  type ExchangeInsert,
  type ExchangeRow,
  type IdempotencyRow,
  type MeViewRow,
  type ParticipantPageRow,
  type ParticipantRow,
} from './rows';
import { SQL } from './sql';

export interface SqliteStoreOptions {
  /** The database file; it and its directory are created, with the schema, when missing. */
  path: string;
  /**
   * When a commit reaches the disk. With 'normal' (the default) a commit is written to
   * the WAL before it returns and fsynced at the next checkpoint: an acknowledged write
   * survives SIGKILL or a crash of the process, because the OS already holds it, but
   * the last commits before a power cut or an OS crash can roll back. With 'full' the
   * WAL is fsynced at every commit, so a write also survives those, at the price of an
   * fsync per write that, with a synchronous driver, stalls the whole process (see the
   * README). The database file is never corrupted either way.
   */
  synchronous?: 'full' | 'normal';
  /** How long a write waits for another connection's write lock before failing with StoreUnavailableError. */
  busyTimeoutMs?: number;
  /** Page cache of this connection, in MiB. */
  cacheSizeMiB?: number;
  /**
   * Opens an existing database at the newest schema version without changing it (a
   * migration's source): nothing is created or migrated, and every write fails.
   */
  readOnly?: boolean;
}

/** What the store needs to know about an exchange before it writes to it. */
interface ExchangeState {
  status: 'open' | 'drawn';
  single_cycle: number;
  participant_count: number;
}

// Contention and disk trouble are the store being unavailable, not a client's fault.
const UNAVAILABLE_CODES = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|PROTOCOL|NOMEM)/;

/** Opens (creating and migrating when needed) the database at `path` and returns the store on it. */
export function openSqliteStore(options: SqliteStoreOptions): SqliteStore {
  if (options.readOnly) return openReadOnly(options);
  mkdirSync(dirname(options.path), { recursive: true });
  const db = new Database(options.path, { timeout: options.busyTimeoutMs ?? 5000 });
  try {
    const journalMode = db.pragma('journal_mode = WAL', { simple: true });
    if (journalMode !== 'wal') throw new Error(`SQLite cannot use WAL mode for ${options.path} (it answered ${String(journalMode)})`);
    db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    db.pragma('foreign_keys = ON');
    db.pragma(`cache_size = ${-1024 * (options.cacheSizeMiB ?? 64)}`);
    migrate(db);
    return new SqliteStore(db);
  } catch (error) {
    db.close();
    throw error;
  }
}

function openReadOnly(options: SqliteStoreOptions): SqliteStore {
  if (!existsSync(options.path)) throw new Error(`${options.path} does not exist.`);
  const db = new Database(options.path, { readonly: true, fileMustExist: true, timeout: options.busyTimeoutMs ?? 5000 });
  try {
    db.pragma(`cache_size = ${-1024 * (options.cacheSizeMiB ?? 64)}`);
    const version = db.pragma('user_version', { simple: true }) as number;
    const latest = loadMigrations().at(-1)?.version ?? 0;
    if (version > latest) throw new SchemaTooNewError(version, latest);
    if (version < latest) {
      throw new Error(
        `${options.path} is at schema version ${version}, and this build reads version ${latest}: ` +
          'open it once with the stage (not read-only) to migrate it.',
      );
    }
    return new SqliteStore(db);
  } catch (error) {
    db.close();
    throw error;
  }
}

export class SqliteStore implements ExchangeStore, BulkStore {
  private readonly statements;
  private readonly transaction: Database.Transaction<(work: () => unknown) => unknown>;
  private readonly bulk: BulkRows;

  constructor(private readonly db: Database.Database) {
    this.bulk = new BulkRows(db);
    const prepare = <Params extends unknown[] | object, Row = unknown>(sql: string) => db.prepare<Params, Row>(sql);
    this.statements = {
      ping: prepare<[]>(SQL.ping),
      insertExchange: prepare<ExchangeInsert, ExchangeRow>(SQL.insertExchange),
      exchangeByOrganizerToken: prepare<[string], ExchangeRow>(SQL.exchangeByOrganizerToken),
      exchangeById: prepare<[string], ExchangeRow>(SQL.exchangeById),
      exchangeState: prepare<[string], ExchangeState>(SQL.exchangeState),
      adjustCounts: prepare<{ id: string; participants: number; wishlists: number; exclusions: number }>(SQL.adjustCounts),
      setExclusionCount: prepare<[number, string]>(SQL.setExclusionCount),
      markDrawn: prepare<[string, string], ExchangeRow>(SQL.markDrawn),
      insertParticipant: prepare<[string, string, string, string, string, string, string, string]>(SQL.insertParticipant),
      emailTaken: prepare<[string, string]>(SQL.emailTaken),
      participantsFirstPage: prepare<[string, number], ParticipantPageRow>(SQL.participantsFirstPage),
      participantsAfter: prepare<[string, string, string, number], ParticipantPageRow>(SQL.participantsAfter),
      participantInExchange: prepare<[string, string], { wishlist: string }>(SQL.participantInExchange),
      participantByToken: prepare<[string], { id: string; exchange_id: string; wishlist: string }>(SQL.participantByToken),
      deleteParticipant: prepare<[string]>(SQL.deleteParticipant),
      updateWishlist: prepare<[string, string], ParticipantRow>(SQL.updateWishlist),
      drawParticipants: prepare<[string], { id: string; name: string }>(SQL.drawParticipants),
      exclusionsByExchange: prepare<[string], { giver_id: string; receiver_id: string }>(SQL.exclusionsByExchange),
      deleteExclusionsOfExchange: prepare<[string]>(SQL.deleteExclusionsOfExchange),
      deleteExclusionsOfParticipant: prepare<{ id: string }>(SQL.deleteExclusionsOfParticipant),
      insertExclusion: prepare<[string, string, string]>(SQL.insertExclusion),
      insertAssignment: prepare<[string, string, string]>(SQL.insertAssignment),
      meView: prepare<[string], MeViewRow>(SQL.meView),
      idempotencyRecord: prepare<[string, string], IdempotencyRow>(SQL.idempotencyRecord),
      idempotencyCreatedAt: prepare<[string], { created_at: string }>(SQL.idempotencyCreatedAt),
      upsertIdempotencyRecord: prepare<IdempotencyRow>(SQL.upsertIdempotencyRecord),
      purgeIdempotencyRecords: prepare<[string]>(SQL.purgeIdempotencyRecords),
      participantTokenOfLink: prepare<[string], { token_hash: string }>(SQL.participantTokenOfLink),
      insertOutboxMessage: prepare<[string, string, string, OutboxKind, string, string]>(SQL.insertOutboxMessage),
      reminderRecipients: prepare<{ exchange_id: string; window_start: string }, { id: string }>(SQL.reminderRecipients),
      dueOutboxMessages: prepare<{ now: string; limit: number }, DueOutboxRow>(SQL.dueOutboxMessages),
      leaseOutboxMessage: prepare<[string, string]>(SQL.leaseOutboxMessage),
      insertParticipantLink: prepare<[string, string, string, string, string]>(SQL.insertParticipantLink),
      completeOutboxMessage: prepare<[string, string]>(SQL.completeOutboxMessage),
      failOutboxMessage: prepare<{ id: string; error: string; retry_at: string | null }>(SQL.failOutboxMessage),
      deleteParticipantLink: prepare<[string, string]>(SQL.deleteParticipantLink),
      countOutboxMessages: prepare<[], OutboxCounts>(SQL.countOutboxMessages),
    };
    this.transaction = db.transaction((work: () => unknown) => work());
  }

  async ping(): Promise<void> {
    return this.run(() => {
      this.statements.ping.get();
    });
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    if (this.db.readonly) {
      this.db.close();
      return;
    }
    try {
      // SQLite's advice for a connection that is closing: refresh the planner's
      // statistics where they went stale, and fold the WAL back into the database.
      this.db.pragma('optimize');
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } catch (error) {
      // Housekeeping only: every commit is already in the WAL, and the next
      // connection checkpoints it. Another process holding the lock must not make
      // shutdown fail.
      if (!(error instanceof Database.SqliteError && UNAVAILABLE_CODES.test(error.code))) throw error;
    } finally {
      this.db.close();
    }
  }

  async dataVersion(): Promise<string> {
    return this.run(() => `sqlite/${String(this.db.pragma('user_version', { simple: true }))}`);
  }

  async countRows(table: TableName): Promise<number> {
    return this.run(() => this.bulk.count(table));
  }

  async readRows<T extends TableName>(table: T, afterKey: string | null, limit: number): Promise<TableRowTypes[T][]> {
    return this.run(() => this.bulk.read(table, afterKey, limit));
  }

  async lastRowKey(table: TableName): Promise<string | null> {
    return this.run(() => this.bulk.lastKey(table));
  }

  async writeRows<T extends TableName>(table: T, rows: TableRowTypes[T][]): Promise<{ written: number; skipped: number }> {
    const written = await this.run(() => this.transaction.immediate(() => this.bulk.write(table, rows)) as number);
    return { written, skipped: rows.length - written };
  }

  async getIdempotencyRecord(keyHash: string, notBefore: string): Promise<IdempotencyRecord | null> {
    return this.run(() => {
      const row = this.statements.idempotencyRecord.get(keyHash, notBefore);
      return row ? rowToIdempotencyRecord(row) : null;
    });
  }

  async purgeIdempotencyRecords(before: string): Promise<number> {
    return this.run(() => this.statements.purgeIdempotencyRecords.run(before).changes);
  }

  async createExchange(exchange: NewExchange, idempotency?: IdempotencyIntent<ExchangeRecord>): Promise<ExchangeRecord> {
    return this.write(idempotency, () => {
      const row = this.statements.insertExchange.get(exchangeToRow(exchange));
      if (!row) throw new Error('INSERT ... RETURNING returned no row');
      return rowToExchange(row);
    });
  }

  async getExchange(exchangeId: string): Promise<ExchangeRecord | null> {
    return this.run(() => {
      const row = this.statements.exchangeById.get(exchangeId);
      return row ? rowToExchange(row) : null;
    });
  }

  async getExchangeByOrganizerTokenHash(tokenHash: string): Promise<ExchangeRecord | null> {
    return this.run(() => {
      const row = this.statements.exchangeByOrganizerToken.get(tokenHash);
      return row ? rowToExchange(row) : null;
    });
  }

  async addParticipants(
    exchangeId: string,
    participants: ParticipantRecord[],
    idempotency?: IdempotencyIntent<ParticipantRecord[]>,
  ): Promise<ParticipantRecord[]> {
    return this.write(idempotency, () => {
      const exchange = this.openExchange(exchangeId);
      if (exchange.participant_count + participants.length > LIMITS.participantsPerExchange) {
        throw new DomainError(
          'participant_limit',
          `An exchange can have at most ${LIMITS.participantsPerExchange} participants; ` +
            `this one has ${exchange.participant_count}, and ${participants.length} more would exceed that.`,
        );
      }
      const added: ParticipantRecord[] = [];
      let wishlists = 0;
      for (const participant of participants) {
        const emailKey = normalizeEmail(participant.email);
        try {
          this.statements.insertParticipant.run(
            participant.id,
            exchangeId,
            participant.name,
            participant.email,
            emailKey,
            participant.wishlist,
            participant.joinedAt,
            participant.tokenHash,
          );
        } catch (error) {
          // The unique index also catches a repeat within this batch, whose earlier rows are already in.
          if (isUniqueViolation(error) && this.statements.emailTaken.get(exchangeId, emailKey) !== undefined) {
            throw new DomainError('duplicate_email', `Somebody in this exchange already uses ${participant.email}.`);
          }
          throw error;
        }
        if (participant.wishlist.length > 0) wishlists += 1;
        added.push({ ...participant, exchangeId });
      }
      this.statements.adjustCounts.run({ id: exchangeId, participants: added.length, wishlists, exclusions: 0 });
      return added;
    });
  }

  async listParticipants(exchangeId: string, page: { limit: number; after?: ParticipantCursor }): Promise<Participant[]> {
    return this.run(() => {
      const rows = page.after
        ? this.statements.participantsAfter.all(exchangeId, page.after.joinedAt, page.after.id, page.limit)
        : this.statements.participantsFirstPage.all(exchangeId, page.limit);
      return rows.map(rowToParticipant);
    });
  }

  async removeParticipant(exchangeId: string, participantId: string): Promise<void> {
    return this.write(undefined, () => {
      this.openExchange(exchangeId);
      const participant = this.statements.participantInExchange.get(participantId, exchangeId);
      if (!participant) throw new DomainError('not_found', 'No such participant in this exchange.');
      // The foreign keys would cascade this too; deleting first tells us how many went.
      const exclusions = this.statements.deleteExclusionsOfParticipant.run({ id: participantId }).changes;
      this.statements.deleteParticipant.run(participantId);
      this.statements.adjustCounts.run({
        id: exchangeId,
        participants: -1,
        wishlists: participant.wishlist.length > 0 ? -1 : 0,
        exclusions: -exclusions,
      });
    });
  }

  async listExclusions(exchangeId: string): Promise<Exclusion[]> {
    return this.run(() => this.readExclusions(exchangeId));
  }

  async replaceExclusions(exchangeId: string, exclusions: Exclusion[]): Promise<Exclusion[]> {
    return this.write(undefined, () => {
      this.openExchange(exchangeId);
      const errors = this.checkExclusions(exchangeId, exclusions);
      if (errors.length > 0) {
        throw new DomainError('validation_failed', 'Every exclusion must name two different participants of this exchange.', errors);
      }
      this.statements.deleteExclusionsOfExchange.run(exchangeId);
      let stored = 0;
      for (const exclusion of exclusions) {
        stored += this.statements.insertExclusion.run(exchangeId, exclusion.giverId, exclusion.receiverId).changes;
      }
      this.statements.setExclusionCount.run(stored, exchangeId);
      return this.readExclusions(exchangeId);
    });
  }

  async draw(
    exchangeId: string,
    drawnAt: string,
    compute: DrawFunction,
    idempotency?: IdempotencyIntent<ExchangeRecord>,
  ): Promise<ExchangeRecord> {
    // One IMMEDIATE transaction holds SQLite's single write lock from the first read to
    // the commit, so no join, removal, exclusion change or second draw (from this
    // process or another) can slip in between what the draw read and what it writes.
    return this.write(idempotency, () => {
      const exchange = this.openExchange(exchangeId);
      const participants = this.statements.drawParticipants.all(exchangeId);
      const assignments = compute({
        participants,
        exclusions: this.readExclusions(exchangeId),
        rules: { singleCycle: exchange.single_cycle === 1 },
      });
      for (const assignment of assignments) {
        this.statements.insertAssignment.run(assignment.giverId, assignment.receiverId, exchangeId);
      }
      // The e-mails with the private links go out only if the draw commits.
      this.queueMessages(exchangeId, participants, 'drawn', drawnAt);
      const row = this.statements.markDrawn.get(drawnAt, exchangeId);
      if (!row) throw new Error('UPDATE ... RETURNING returned no row');
      return rowToExchange(row);
    });
  }

  async getMeView(participantTokenHash: string): Promise<MeView | null> {
    return this.run(() => {
      const row = this.statements.meView.get(participantTokenHash) ?? this.meViewByLink(participantTokenHash);
      return row ? rowToMeView(row) : null;
    });
  }

  /** The view of the participant a link token was e-mailed to: read only after the own-token lookup missed. */
  private meViewByLink(linkTokenHash: string): MeViewRow | undefined {
    const own = this.statements.participantTokenOfLink.get(linkTokenHash);
    return own && this.statements.meView.get(own.token_hash);
  }

  async updateWishlist(participantTokenHash: string, wishlist: string): Promise<ParticipantRecord | null> {
    return this.write(undefined, () => {
      const own = this.statements.participantTokenOfLink;
      const before =
        this.statements.participantByToken.get(participantTokenHash) ??
        this.statements.participantByToken.get(own.get(participantTokenHash)?.token_hash ?? '');
      if (!before) return null;
      const row = this.statements.updateWishlist.get(wishlist, before.id);
      if (!row) throw new Error('UPDATE ... RETURNING returned no row');
      const wishlists = Number(wishlist.length > 0) - Number(before.wishlist.length > 0);
      if (wishlists !== 0) {
        this.statements.adjustCounts.run({ id: before.exchange_id, participants: 0, wishlists, exclusions: 0 });
      }
      return rowToParticipantRecord(row);
    });
  }

  async queueReminders(exchangeId: string, queuedAt: string, idempotency?: IdempotencyIntent<number>): Promise<number> {
    return this.write(idempotency, () => {
      // Open and drawn exchanges alike; the write lock orders this with wishlist updates.
      if (!isId(exchangeId) || !this.statements.exchangeState.get(exchangeId)) {
        throw new DomainError('not_found', 'No such exchange.');
      }
      const recipients = this.statements.reminderRecipients.all({
        exchange_id: exchangeId,
        window_start: reminderWindowStart(queuedAt),
      });
      this.queueMessages(exchangeId, recipients, 'reminder', queuedAt);
      return recipients.length;
    });
  }

  async claimOutboxMessages({ now, leaseUntil, linkTokenHashes }: OutboxClaim): Promise<OutboxDelivery[]> {
    if (linkTokenHashes.length === 0) return [];
    // IMMEDIATE: the claim holds the database's one write lock from its read to its
    // commit, so a claim on another connection, in this process or another, waits and
    // then finds these messages leased.
    return this.write(undefined, () => {
      const due = this.statements.dueOutboxMessages.all({ now, limit: linkTokenHashes.length });
      return due.map((row, index) => {
        const linkTokenHash = linkTokenHashes[index];
        this.statements.leaseOutboxMessage.run(leaseUntil, row.id);
        this.statements.insertParticipantLink.run(linkTokenHash, row.exchange_id, row.participant_id, row.id, now);
        return rowToDelivery(row, leaseUntil, linkTokenHash);
      });
    });
  }

  async completeOutboxMessage(messageId: string, sentAt: string): Promise<void> {
    await this.write(undefined, () => {
      this.statements.completeOutboxMessage.run(sentAt, messageId);
    });
  }

  async failOutboxMessage(messageId: string, { linkTokenHash, error, retryAt }: OutboxFailure): Promise<void> {
    await this.write(undefined, () => {
      const failed = this.statements.failOutboxMessage.run({ id: messageId, error, retry_at: retryAt }).changes;
      if (failed > 0) this.statements.deleteParticipantLink.run(linkTokenHash, messageId);
    });
  }

  async countOutboxMessages(): Promise<OutboxCounts> {
    return this.run(() => {
      const row = this.statements.countOutboxMessages.get();
      return { pending: row?.pending ?? 0, failed: row?.failed ?? 0 };
    });
  }

  /** Queues one pending message per participant, due at once; called inside the write's transaction. */
  private queueMessages(exchangeId: string, participants: ReadonlyArray<{ id: string }>, kind: OutboxKind, at: string): void {
    for (const { id } of participants) this.statements.insertOutboxMessage.run(newId(), exchangeId, id, kind, at, at);
  }

  /** Runs a read, turning driver failures the client cannot help into StoreUnavailableError. */
  private async run<T>(operation: () => T): Promise<T> {
    if (!this.db.open) throw new StoreUnavailableError('The database is closed.');
    try {
      return operation();
    } catch (error) {
      throw translateError(error);
    }
  }

  /**
   * Runs a write in an IMMEDIATE transaction: it takes the write lock before its first
   * read, so what it checks still holds when it commits, and it never has to upgrade a
   * read lock (which in WAL mode can fail without waiting). With an idempotency intent,
   * the response is recorded in the same transaction as the work.
   */
  private async write<T>(idempotency: IdempotencyIntent<T> | undefined, work: () => T): Promise<T> {
    return this.run(
      () =>
        this.transaction.immediate(() => {
          if (idempotency) this.claimIdempotencyKey(idempotency);
          const result = work();
          if (idempotency) {
            const { status, sealedBody } = idempotency.respond(result);
            this.statements.upsertIdempotencyRecord.run({
              key_hash: idempotency.keyHash,
              request_hash: idempotency.requestHash,
              status,
              sealed_body: sealedBody,
              created_at: idempotency.createdAt,
            });
          }
          return result;
        }) as T,
    );
  }

  private claimIdempotencyKey(idempotency: IdempotencyIntent<unknown>): void {
    const existing = this.statements.idempotencyCreatedAt.get(idempotency.keyHash);
    if (existing && existing.created_at >= idempotency.replaceBefore) throw new DomainError('idempotency_key_in_use');
  }

  /** The exchange, when it exists and is still open to changes. */
  private openExchange(exchangeId: string): ExchangeState {
    const exchange = this.statements.exchangeState.get(exchangeId);
    if (!exchange) throw new DomainError('not_found', 'No such exchange.');
    if (exchange.status === 'drawn') throw new DomainError('already_drawn');
    return exchange;
  }

  private readExclusions(exchangeId: string): Exclusion[] {
    return this.statements.exclusionsByExchange
      .all(exchangeId)
      .map((row) => ({ giverId: row.giver_id, receiverId: row.receiver_id }));
  }

  private checkExclusions(exchangeId: string, exclusions: Exclusion[]): FieldError[] {
    const membership = new Map<string, boolean>();
    const isMember = (id: string): boolean => {
      let member = membership.get(id);
      if (member === undefined) {
        member = this.statements.participantInExchange.get(id, exchangeId) !== undefined;
        membership.set(id, member);
      }
      return member;
    };
    const errors: FieldError[] = [];
    exclusions.forEach((exclusion, index) => {
      if (!isMember(exclusion.giverId)) {
        errors.push({ path: `/exclusions/${index}/giverId`, message: 'is not a participant of this exchange' });
      }
      if (!isMember(exclusion.receiverId)) {
        errors.push({ path: `/exclusions/${index}/receiverId`, message: 'is not a participant of this exchange' });
      }
      if (exclusion.giverId === exclusion.receiverId) {
        errors.push({ path: `/exclusions/${index}`, message: 'giver and receiver must be different people' });
      }
    });
    return errors;
  }
}

function isUniqueViolation(error: unknown): boolean {
  return error instanceof Database.SqliteError && error.code === 'SQLITE_CONSTRAINT_UNIQUE';
}

function translateError(error: unknown): unknown {
  if (error instanceof Database.SqliteError && UNAVAILABLE_CODES.test(error.code)) {
    return new StoreUnavailableError(undefined, 1, { cause: error });
  }
  return error;
}
