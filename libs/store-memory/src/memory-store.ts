import {
  DomainError,
  LIMITS,
  MissingReferenceError,
  SortedTable,
  StoreUnavailableError,
  copyRow,
  isId,
  newId,
  normalizeEmail,
  reminderWindowStart,
  rowKey,
  toParticipant,
  type AssignmentRow,
  type BulkStore,
  type Exclusion,
  type ExclusionRow,
  type ExchangeRecord,
  type ExchangeStore,
  type IdempotencyIntent,
  type IdempotencyRecord,
  type NewExchange,
  type OutboxDelivery,
  type OutboxKind,
  type OutboxMessageRecord,
  type ParticipantLinkRecord,
  type ParticipantRecord,
  type TableName,
  type TableRowTypes,
} from '@santa/domain';
import { ParticipantList } from './participant-list';

/**
 * Everything the store keeps about one exchange. The record's counts are maintained
 * on every write, so no read ever counts.
 */
interface ExchangeState {
  record: ExchangeRecord;
  participants: ParticipantList;
  /** Normalised e-mail addresses of the participants. */
  emails: Set<string>;
  /** Keyed by `exclusionKey`, in the order they were set. */
  exclusions: Map<string, Exclusion>;
  /** Giver id to receiver id, filled by the draw. */
  assignments: Map<string, string>;
}

interface ParticipantEntry {
  participant: ParticipantRecord;
  exchange: ExchangeState;
}

export type MemoryStore = ExchangeStore & BulkStore;

/** Raise it with every change to what the store keeps. */
const DATA_VERSION = 'memory/2';

/**
 * The whole store in a few Maps, indexed for every lookup the port makes. Every
 * method validates everything first and mutates last, and does its work without
 * awaiting, so each call is atomic in one process. Records cross the boundary as
 * copies: a caller that mutates what it passed in or got back cannot reach the store.
 */
export function createMemoryStore(): MemoryStore {
  const exchanges = new Map<string, ExchangeState>();
  const exchangesByOrganizerTokenHash = new Map<string, ExchangeState>();
  const participantsByTokenHash = new Map<string, ParticipantEntry>();
  const idempotencyRecords = new Map<string, IdempotencyRecord>();
  const outboxMessages = new Map<string, OutboxMessageRecord>();
  const linksByTokenHash = new Map<string, ParticipantLinkRecord>();
  let closed = false;
  /** Counts the writes, so a table sorted for paging serves reads until the next one. */
  let version = 0;
  const sorted = new Map<TableName, { version: number; table: SortedTable<TableName> }>();

  function assertOpen(): void {
    if (closed) throw new StoreUnavailableError('The store is closed.');
  }

  function changed(): void {
    version += 1;
  }

  /** The table's rows, copied and sorted by key, as of the latest write. */
  function sortedTable<T extends TableName>(table: T): SortedTable<T> {
    const cached = sorted.get(table);
    if (cached?.version === version) return cached.table as SortedTable<T>;
    const fresh = SortedTable.of(table, tableRows(table));
    sorted.set(table, { version, table: fresh });
    return fresh;
  }

  function* tableRows<T extends TableName>(table: T): Generator<TableRowTypes[T]> {
    type Row = TableRowTypes[T];
    if (table === 'idempotencyRecords') {
      for (const record of idempotencyRecords.values()) yield { ...record } as Row;
      return;
    }
    if (table === 'outboxMessages') {
      for (const message of outboxMessages.values()) yield { ...message } as Row;
      return;
    }
    if (table === 'participantLinks') {
      for (const link of linksByTokenHash.values()) yield { ...link } as Row;
      return;
    }
    for (const state of exchanges.values()) {
      const exchangeId = state.record.id;
      if (table === 'exchanges') yield newExchangeOf(state.record) as Row;
      if (table === 'participants') for (const participant of state.participants.all()) yield copyParticipant(participant) as Row;
      if (table === 'exclusions') {
        for (const { giverId, receiverId } of state.exclusions.values()) yield { exchangeId, giverId, receiverId } as Row;
      }
      if (table === 'assignments') {
        for (const [giverId, receiverId] of state.assignments) yield { exchangeId, giverId, receiverId } as Row;
      }
    }
  }

  /** The exchange a row to be written belongs to, which must be there already. */
  function referencedExchange<T extends 'participants' | 'exclusions' | 'assignments' | 'outboxMessages'>(
    table: T,
    row: TableRowTypes[T],
  ): ExchangeState {
    const state = exchanges.get(row.exchangeId);
    if (!state) throw new MissingReferenceError(table, rowKey(table, row), `exchange ${row.exchangeId}`);
    return state;
  }

  /** The exchange of an exclusion or assignment, whose giver and receiver must be its participants. */
  function referencedPair<T extends 'exclusions' | 'assignments'>(table: T, row: ExclusionRow & AssignmentRow): ExchangeState {
    const state = referencedExchange(table, row);
    for (const id of [row.giverId, row.receiverId]) {
      if (!state.participants.get(id)) {
        throw new MissingReferenceError(table, rowKey(table, row), `participant ${row.exchangeId}/${id}`);
      }
    }
    return state;
  }

  /**
   * Checks every row of a batch and returns the changes that write it, so a refused
   * row leaves everything as it was. A row whose key is present, or repeated in the
   * batch, has no change: it is skipped.
   */
  function planWrite<T extends TableName>(table: T, rows: TableRowTypes[T][]): Array<() => void> {
    const keys = new Set<string>();
    const changes: Array<() => void> = [];
    for (const row of rows) {
      const key = rowKey(table, row);
      if (keys.has(key)) continue;
      keys.add(key);
      const change = planRow(table, row);
      if (change) changes.push(change);
    }
    return changes;
  }

  /** The change that writes one row, or null when its key is present. */
  function planRow<T extends TableName>(table: T, row: TableRowTypes[T]): (() => void) | null {
    switch (table) {
      case 'exchanges': {
        const exchange = row as NewExchange;
        if (exchanges.has(exchange.id)) return null;
        const record = copyExchange({ ...exchange, participantCount: 0, wishlistCount: 0, exclusionCount: 0 });
        return () => {
          const state: ExchangeState = {
            record,
            participants: new ParticipantList(),
            emails: new Set(),
            exclusions: new Map(),
            assignments: new Map(),
          };
          exchanges.set(record.id, state);
          exchangesByOrganizerTokenHash.set(record.organizerTokenHash, state);
        };
      }
      case 'participants': {
        const participant = copyParticipant(row as ParticipantRecord);
        const state = referencedExchange('participants', participant);
        if (state.participants.get(participant.id)) return null;
        return () => {
          state.participants.insert(participant);
          participantsByTokenHash.set(participant.tokenHash, { participant, exchange: state });
          state.emails.add(normalizeEmail(participant.email));
          state.record.participantCount += 1;
          if (participant.wishlist !== '') state.record.wishlistCount += 1;
        };
      }
      case 'exclusions': {
        const exclusion = row as ExclusionRow;
        const state = referencedPair('exclusions', exclusion);
        const key = exclusionKey(exclusion.giverId, exclusion.receiverId);
        if (state.exclusions.has(key)) return null;
        return () => {
          state.exclusions.set(key, { giverId: exclusion.giverId, receiverId: exclusion.receiverId });
          state.record.exclusionCount = state.exclusions.size;
        };
      }
      case 'assignments': {
        const assignment = row as AssignmentRow;
        const state = referencedPair('assignments', assignment);
        if (state.assignments.has(assignment.giverId)) return null;
        return () => void state.assignments.set(assignment.giverId, assignment.receiverId);
      }
      case 'idempotencyRecords': {
        const record = { ...(row as IdempotencyRecord) };
        if (idempotencyRecords.has(record.keyHash)) return null;
        return () => void idempotencyRecords.set(record.keyHash, record);
      }
      case 'outboxMessages': {
        const message = { ...(row as OutboxMessageRecord) };
        const state = referencedExchange('outboxMessages', message);
        if (!state.participants.get(message.participantId)) {
          throw new MissingReferenceError(
            'outboxMessages',
            rowKey('outboxMessages', message),
            `participant ${message.exchangeId}/${message.participantId}`,
          );
        }
        if (outboxMessages.has(message.id)) return null;
        return () => void outboxMessages.set(message.id, message);
      }
      case 'participantLinks': {
        const link = { ...(row as ParticipantLinkRecord) };
        if (!outboxMessages.has(link.messageId)) {
          throw new MissingReferenceError('participantLinks', rowKey('participantLinks', link), `outbox message ${link.messageId}`);
        }
        if (linksByTokenHash.has(link.tokenHash)) return null;
        return () => void linksByTokenHash.set(link.tokenHash, link);
      }
      default:
        throw new Error(`unknown table ${String(table)}`);
    }
  }

  function openExchange(exchangeId: string): ExchangeState {
    const state = exchanges.get(exchangeId);
    if (!state) throw new DomainError('not_found', 'No such exchange.');
    if (state.record.status === 'drawn') throw new DomainError('already_drawn');
    return state;
  }

  function claimIdempotencyKey(intent: IdempotencyIntent<unknown> | undefined): void {
    if (!intent) return;
    const existing = idempotencyRecords.get(intent.keyHash);
    if (existing && existing.createdAt >= intent.replaceBefore) throw new DomainError('idempotency_key_in_use');
  }

  /** Builds the record before any mutation, so a throwing `respond` changes nothing. */
  function idempotencyRecordFor<R>(intent: IdempotencyIntent<R> | undefined, result: R): IdempotencyRecord | null {
    if (!intent) return null;
    const { status, sealedBody } = intent.respond(result);
    return { keyHash: intent.keyHash, requestHash: intent.requestHash, status, sealedBody, createdAt: intent.createdAt };
  }

  function saveIdempotencyRecord(record: IdempotencyRecord | null): void {
    if (record) idempotencyRecords.set(record.keyHash, record);
  }

  function queueMessages(state: ExchangeState, participantIds: string[], kind: OutboxKind, at: string): void {
    for (const participantId of participantIds) {
      const id = newId();
      outboxMessages.set(id, {
        id,
        exchangeId: state.record.id,
        participantId,
        kind,
        status: 'pending',
        createdAt: at,
        attempts: 0,
        nextAttemptAt: at,
        claimedUntil: null,
        lastError: null,
        sentAt: null,
      });
    }
  }

  /** The participant whose own token or e-mailed link token has this hash. */
  function participantByTokenHash(tokenHash: string): ParticipantEntry | undefined {
    const own = participantsByTokenHash.get(tokenHash);
    if (own) return own;
    const link = linksByTokenHash.get(tokenHash);
    const exchange = link && exchanges.get(link.exchangeId);
    const participant = link && exchange?.participants.get(link.participantId);
    return participant && exchange ? { participant, exchange } : undefined;
  }

  function pendingMessage(messageId: string): OutboxMessageRecord | undefined {
    const message = outboxMessages.get(messageId);
    return message?.status === 'pending' ? message : undefined;
  }

  return {
    async dataVersion() {
      assertOpen();
      return DATA_VERSION;
    },

    async countRows(table) {
      assertOpen();
      return sortedTable(table).size;
    },

    async readRows(table, afterKey, limit) {
      assertOpen();
      return sortedTable(table)
        .page(afterKey, limit)
        .map((row) => copyRow(table, row));
    },

    async lastRowKey(table) {
      assertOpen();
      return sortedTable(table).lastKey;
    },

    async writeRows(table, rows) {
      assertOpen();
      const changes = planWrite(table, rows);
      for (const change of changes) change();
      if (changes.length > 0) changed();
      return { written: changes.length, skipped: rows.length - changes.length };
    },

    async ping() {
      assertOpen();
    },

    async close() {
      closed = true;
    },

    async getIdempotencyRecord(keyHash, notBefore) {
      assertOpen();
      const record = idempotencyRecords.get(keyHash);
      return record && record.createdAt >= notBefore ? { ...record } : null;
    },

    async purgeIdempotencyRecords(before) {
      assertOpen();
      let purged = 0;
      for (const [keyHash, record] of idempotencyRecords) {
        if (record.createdAt < before) {
          idempotencyRecords.delete(keyHash);
          purged += 1;
        }
      }
      if (purged > 0) changed();
      return purged;
    },

    async createExchange(exchange, idempotency) {
      assertOpen();
      // Ids are fresh UUIDv7s, so a collision is a bug in the caller, not a client condition.
      if (exchanges.has(exchange.id)) throw new Error(`Exchange ${exchange.id} already exists.`);
      claimIdempotencyKey(idempotency);
      const record = copyExchange({ ...exchange, participantCount: 0, wishlistCount: 0, exclusionCount: 0 });
      const saved = idempotencyRecordFor(idempotency, copyExchange(record));

      const state: ExchangeState = {
        record,
        participants: new ParticipantList(),
        emails: new Set(),
        exclusions: new Map(),
        assignments: new Map(),
      };
      exchanges.set(record.id, state);
      exchangesByOrganizerTokenHash.set(record.organizerTokenHash, state);
      saveIdempotencyRecord(saved);
      changed();
      return copyExchange(record);
    },

    async getExchange(exchangeId) {
      assertOpen();
      const state = exchanges.get(exchangeId);
      return state ? copyExchange(state.record) : null;
    },

    async getExchangeByOrganizerTokenHash(tokenHash) {
      assertOpen();
      const state = exchangesByOrganizerTokenHash.get(tokenHash);
      return state ? copyExchange(state.record) : null;
    },

    async addParticipants(exchangeId, participants, idempotency) {
      assertOpen();
      const state = openExchange(exchangeId);
      claimIdempotencyKey(idempotency);
      if (state.record.participantCount + participants.length > LIMITS.participantsPerExchange) {
        throw new DomainError(
          'participant_limit',
          `An exchange has at most ${LIMITS.participantsPerExchange} participants.`,
        );
      }
      const batchEmails = new Set<string>();
      for (const participant of participants) {
        const email = normalizeEmail(participant.email);
        if (state.emails.has(email) || batchEmails.has(email)) {
          throw new DomainError('duplicate_email', `Somebody in this exchange already uses ${participant.email}.`);
        }
        batchEmails.add(email);
      }
      const added = participants.map((participant) => ({ ...participant, exchangeId }));
      const saved = idempotencyRecordFor(idempotency, added.map(copyParticipant));

      let withWishlist = 0;
      for (const participant of added) {
        state.participants.insert(participant);
        participantsByTokenHash.set(participant.tokenHash, { participant, exchange: state });
        if (participant.wishlist !== '') withWishlist += 1;
      }
      for (const email of batchEmails) state.emails.add(email);
      state.record.participantCount += added.length;
      state.record.wishlistCount += withWishlist;
      saveIdempotencyRecord(saved);
      changed();
      return added.map(copyParticipant);
    },

    async listParticipants(exchangeId, page) {
      assertOpen();
      const state = exchanges.get(exchangeId);
      if (!state) return [];
      return state.participants.page(page.limit, page.after).map(toParticipant);
    },

    async removeParticipant(exchangeId, participantId) {
      assertOpen();
      const state = openExchange(exchangeId);
      const participant = state.participants.get(participantId);
      if (!participant) throw new DomainError('not_found', 'No such participant in this exchange.');

      state.participants.remove(participant);
      participantsByTokenHash.delete(participant.tokenHash);
      for (const [id, message] of outboxMessages) if (message.participantId === participantId) outboxMessages.delete(id);
      for (const [hash, link] of linksByTokenHash) if (link.participantId === participantId) linksByTokenHash.delete(hash);
      state.emails.delete(normalizeEmail(participant.email));
      for (const [key, exclusion] of state.exclusions) {
        if (exclusion.giverId === participantId || exclusion.receiverId === participantId) state.exclusions.delete(key);
      }
      state.record.participantCount -= 1;
      if (participant.wishlist !== '') state.record.wishlistCount -= 1;
      state.record.exclusionCount = state.exclusions.size;
      changed();
    },

    async listExclusions(exchangeId) {
      assertOpen();
      const state = exchanges.get(exchangeId);
      return state ? [...state.exclusions.values()].map(copyExclusion) : [];
    },

    async replaceExclusions(exchangeId, exclusions) {
      assertOpen();
      const state = openExchange(exchangeId);
      // Keyed by pair: the exclusions are a set, so a pair given twice is stored once.
      const replacement = new Map<string, Exclusion>();
      for (const { giverId, receiverId } of exclusions) {
        for (const id of [giverId, receiverId]) {
          if (!state.participants.get(id)) {
            throw new DomainError('validation_failed', `${id} is not a participant of this exchange.`);
          }
        }
        replacement.set(exclusionKey(giverId, receiverId), { giverId, receiverId });
      }

      state.exclusions = replacement;
      state.record.exclusionCount = replacement.size;
      changed();
      return [...replacement.values()].map(copyExclusion);
    },

    async draw(exchangeId, drawnAt, compute, idempotency) {
      assertOpen();
      const state = openExchange(exchangeId);
      claimIdempotencyKey(idempotency);
      const assignments = compute({
        participants: state.participants.all().map(({ id, name }) => ({ id, name })),
        exclusions: [...state.exclusions.values()].map(copyExclusion),
        rules: { ...state.record.rules },
      });
      const drawn: ExchangeRecord = { ...copyExchange(state.record), status: 'drawn', drawnAt };
      const saved = idempotencyRecordFor(idempotency, copyExchange(drawn));

      for (const { giverId, receiverId } of assignments) state.assignments.set(giverId, receiverId);
      queueMessages(
        state,
        state.participants.all().map(({ id }) => id),
        'drawn',
        drawnAt,
      );
      state.record.status = 'drawn';
      state.record.drawnAt = drawnAt;
      saveIdempotencyRecord(saved);
      changed();
      return drawn;
    },

    async getMeView(participantTokenHash) {
      assertOpen();
      const entry = participantByTokenHash(participantTokenHash);
      if (!entry) return null;
      const { participant, exchange } = entry;
      const gifteeId = exchange.assignments.get(participant.id);
      const giftee = gifteeId === undefined ? undefined : exchange.participants.get(gifteeId);
      return {
        participant: copyParticipant(participant),
        exchange: copyExchange(exchange.record),
        giftee: giftee ? { id: giftee.id, name: giftee.name, wishlist: giftee.wishlist } : null,
      };
    },

    async updateWishlist(participantTokenHash, wishlist) {
      assertOpen();
      const entry = participantByTokenHash(participantTokenHash);
      if (!entry) return null;
      const { participant, exchange } = entry;
      exchange.record.wishlistCount += Number(wishlist !== '') - Number(participant.wishlist !== '');
      participant.wishlist = wishlist;
      changed();
      return copyParticipant(participant);
    },

    async queueReminders(exchangeId, queuedAt, idempotency) {
      assertOpen();
      const state = isId(exchangeId) ? exchanges.get(exchangeId) : undefined;
      if (!state) throw new DomainError('not_found', 'No such exchange.');
      claimIdempotencyKey(idempotency);
      const windowStart = reminderWindowStart(queuedAt);
      const recentlyReminded = new Set<string>();
      for (const message of outboxMessages.values()) {
        if (message.exchangeId === exchangeId && message.kind === 'reminder' && message.createdAt > windowStart) {
          recentlyReminded.add(message.participantId);
        }
      }
      const due = state.participants
        .all()
        .filter((participant) => participant.wishlist === '' && !recentlyReminded.has(participant.id))
        .map(({ id }) => id);
      const saved = idempotencyRecordFor(idempotency, due.length);
      queueMessages(state, due, 'reminder', queuedAt);
      saveIdempotencyRecord(saved);
      changed();
      return due.length;
    },

    async claimOutboxMessages({ now, leaseUntil, linkTokenHashes }) {
      assertOpen();
      const due = [...outboxMessages.values()]
        .filter(
          (message) =>
            message.status === 'pending' &&
            message.nextAttemptAt <= now &&
            (message.claimedUntil === null || message.claimedUntil <= now),
        )
        .sort((a, b) => compareText(a.nextAttemptAt, b.nextAttemptAt) || compareText(a.id, b.id))
        .slice(0, linkTokenHashes.length);
      const deliveries: OutboxDelivery[] = due.map((message, index) => {
        const state = exchanges.get(message.exchangeId) as ExchangeState;
        const participant = state.participants.get(message.participantId) as ParticipantRecord;
        const linkTokenHash = linkTokenHashes[index];
        message.claimedUntil = leaseUntil;
        message.attempts += 1;
        linksByTokenHash.set(linkTokenHash, {
          tokenHash: linkTokenHash,
          exchangeId: message.exchangeId,
          participantId: message.participantId,
          messageId: message.id,
          createdAt: now,
        });
        const { id, name, exchangeDate, budget } = state.record;
        return {
          message: { ...message },
          linkTokenHash,
          participant: { id: participant.id, name: participant.name, email: participant.email },
          exchange: { id, name, exchangeDate, budget: budget && { ...budget } },
        };
      });
      if (deliveries.length > 0) changed();
      return deliveries;
    },

    async completeOutboxMessage(messageId, sentAt) {
      assertOpen();
      const message = pendingMessage(messageId);
      if (!message) return;
      message.status = 'sent';
      message.sentAt = sentAt;
      message.claimedUntil = null;
      changed();
    },

    async failOutboxMessage(messageId, { linkTokenHash, error, retryAt }) {
      assertOpen();
      const message = pendingMessage(messageId);
      if (!message) return;
      if (linksByTokenHash.get(linkTokenHash)?.messageId === messageId) linksByTokenHash.delete(linkTokenHash);
      message.lastError = error;
      message.claimedUntil = null;
      if (retryAt === null) message.status = 'failed';
      else message.nextAttemptAt = retryAt;
      changed();
    },

    async countOutboxMessages() {
      assertOpen();
      const counts = { pending: 0, failed: 0 };
      for (const { status } of outboxMessages.values()) {
        if (status === 'pending') counts.pending += 1;
        if (status === 'failed') counts.failed += 1;
      }
      return counts;
    },
  };
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function exclusionKey(giverId: string, receiverId: string): string {
  return `${giverId} ${receiverId}`;
}

function copyExchange(record: ExchangeRecord): ExchangeRecord {
  return { ...record, budget: record.budget && { ...record.budget }, rules: { ...record.rules } };
}

function newExchangeOf(record: ExchangeRecord): NewExchange {
  const { participantCount: _participants, wishlistCount: _wishlists, exclusionCount: _exclusions, ...exchange } = record;
  return { ...exchange, budget: exchange.budget && { ...exchange.budget }, rules: { ...exchange.rules } };
}

function copyParticipant(record: ParticipantRecord): ParticipantRecord {
  return { ...record };
}

function copyExclusion({ giverId, receiverId }: Exclusion): Exclusion {
  return { giverId, receiverId };
}
