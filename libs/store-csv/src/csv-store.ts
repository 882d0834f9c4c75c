import {
  DomainError,
  LIMITS,
  newId,
  normalizeEmail,
  reminderWindowStart,
  toParticipant,
  type BulkStore,
  type DrawFunction,
  type Exclusion,
  type ExchangeRecord,
  type ExchangeStore,
  type IdempotencyIntent,
  type MeView,
  type NewExchange,
  type OutboxDelivery,
  type OutboxKind,
  type OutboxMessageRecord,
  type Participant,
  type ParticipantCursor,
  type ParticipantLinkRecord,
  type ParticipantRecord,
} from '@santa/domain';
import { createBulkRows } from './bulk-rows';
import { openDataDir } from './data-dir';
import type { TableFiles, WriteTransaction } from './table-files';
import type { ExclusionRow, StoredExchange } from './tables';

export interface CsvStoreOptions {
  /** Created if missing. One process at a time may open it. */
  dataDir: string;
  /**
   * Opens an existing data directory only, and refuses every write (a migration's
   * source). The directory is still locked against other processes.
   */
  readOnly?: boolean;
}

export type CsvStore = ExchangeStore & BulkStore;

/**
 * Stage 01's store: CSV files on disk. Every call parses the files it needs, every
 * write rewrites the files it changes, and counts are computed on each read; so
 * every request costs time in proportion to the size of the data (README.md).
 */
export async function openCsvStore(options: CsvStoreOptions): Promise<CsvStore> {
  return createCsvStore(await openDataDir(options.dataDir, { readOnly: options.readOnly }));
}

function createCsvStore(files: TableFiles): CsvStore {
  return {
    ...createBulkRows(files),

    ping: () => files.ping(),

    close: () => files.close(),

    async getIdempotencyRecord(keyHash, notBefore) {
      const { idempotency } = await files.read('idempotency');
      const record = idempotency.find((candidate) => candidate.keyHash === keyHash);
      return record && record.createdAt >= notBefore ? record : null;
    },

    purgeIdempotencyRecords(before) {
      return files.write(async (transaction) => {
        const records = await transaction.read('idempotency');
        const kept = records.filter((record) => record.createdAt >= before);
        if (kept.length < records.length) transaction.replace('idempotency', kept);
        return records.length - kept.length;
      });
    },

    createExchange(exchange: NewExchange, idempotency?: IdempotencyIntent<ExchangeRecord>) {
      return files.write(async (transaction) => {
        const exchanges = await transaction.read('exchanges');
        if (exchanges.some((existing) => existing.id === exchange.id)) {
          throw new Error(`Exchange ${exchange.id} already exists.`);
        }
        await claimIdempotencyKey(transaction, idempotency);
        const stored: StoredExchange = { ...exchange, budget: exchange.budget && { ...exchange.budget }, rules: { ...exchange.rules } };
        const record: ExchangeRecord = { ...stored, participantCount: 0, wishlistCount: 0, exclusionCount: 0 };
        transaction.replace('exchanges', [...exchanges, stored]);
        await saveIdempotencyRecord(transaction, idempotency, record);
        return record;
      });
    },

    async getExchange(exchangeId) {
      const { exchanges, participants, exclusions } = await files.read('exchanges', 'participants', 'exclusions');
      const exchange = exchanges.find((candidate) => candidate.id === exchangeId);
      return exchange ? withCounts(exchange, participants, exclusions) : null;
    },

    async getExchangeByOrganizerTokenHash(tokenHash) {
      const { exchanges, participants, exclusions } = await files.read('exchanges', 'participants', 'exclusions');
      const exchange = exchanges.find((candidate) => candidate.organizerTokenHash === tokenHash);
      return exchange ? withCounts(exchange, participants, exclusions) : null;
    },

    addParticipants(
      exchangeId: string,
      participants: ParticipantRecord[],
      idempotency?: IdempotencyIntent<ParticipantRecord[]>,
    ) {
      return files.write(async (transaction) => {
        await openExchange(transaction, exchangeId);
        await claimIdempotencyKey(transaction, idempotency);
        const everyone = await transaction.read('participants');
        const members = everyone.filter((participant) => participant.exchangeId === exchangeId);
        if (members.length + participants.length > LIMITS.participantsPerExchange) {
          throw new DomainError(
            'participant_limit',
            `An exchange has at most ${LIMITS.participantsPerExchange} participants.`,
          );
        }
        const emails = new Set(members.map((member) => normalizeEmail(member.email)));
        for (const participant of participants) {
          const email = normalizeEmail(participant.email);
          if (emails.has(email)) {
            throw new DomainError('duplicate_email', `Somebody in this exchange already uses ${participant.email}.`);
          }
          emails.add(email);
        }
        const added = participants.map((participant) => ({ ...participant, exchangeId }));
        transaction.replace('participants', [...everyone, ...added]);
        await saveIdempotencyRecord(transaction, idempotency, added);
        return added;
      });
    },

    async listParticipants(exchangeId, page: { limit: number; after?: ParticipantCursor }): Promise<Participant[]> {
      const { participants } = await files.read('participants');
      const { after } = page;
      return inJoinOrder(participants.filter((participant) => participant.exchangeId === exchangeId))
        .filter((participant) => !after || compareJoinOrder(participant, after) > 0)
        .slice(0, Math.max(0, page.limit))
        .map(toParticipant);
    },

    removeParticipant(exchangeId, participantId) {
      return files.write(async (transaction) => {
        await openExchange(transaction, exchangeId);
        const participants = await transaction.read('participants');
        const remaining = participants.filter(
          (participant) => !(participant.id === participantId && participant.exchangeId === exchangeId),
        );
        if (remaining.length === participants.length) {
          throw new DomainError('not_found', 'No such participant in this exchange.');
        }
        transaction.replace('participants', remaining);
        const exclusions = await transaction.read('exclusions');
        const kept = exclusions.filter(
          (exclusion) =>
            exclusion.exchangeId !== exchangeId ||
            (exclusion.giverId !== participantId && exclusion.receiverId !== participantId),
        );
        if (kept.length < exclusions.length) transaction.replace('exclusions', kept);
        const isTheirs = (row: { exchangeId: string; participantId: string }) =>
          row.exchangeId === exchangeId && row.participantId === participantId;
        const messages = await transaction.read('outbox');
        if (messages.some(isTheirs)) transaction.replace('outbox', messages.filter((message) => !isTheirs(message)));
        const links = await transaction.read('links');
        if (links.some(isTheirs)) transaction.replace('links', links.filter((link) => !isTheirs(link)));
      });
    },

    async listExclusions(exchangeId) {
      const { exclusions } = await files.read('exclusions');
      return exclusionsOf(exclusions, exchangeId);
    },

    replaceExclusions(exchangeId, exclusions) {
      return files.write(async (transaction) => {
        await openExchange(transaction, exchangeId);
        const participants = await transaction.read('participants');
        const memberIds = new Set(
          participants.filter((participant) => participant.exchangeId === exchangeId).map((participant) => participant.id),
        );
        // A set: a repeated pair is kept once, where it first appears.
        const replacement = new Map<string, ExclusionRow>();
        for (const { giverId, receiverId } of exclusions) {
          for (const id of [giverId, receiverId]) {
            if (!memberIds.has(id)) {
              throw new DomainError('validation_failed', `${id} is not a participant of this exchange.`);
            }
          }
          const key = `${giverId} ${receiverId}`;
          if (!replacement.has(key)) replacement.set(key, { exchangeId, giverId, receiverId });
        }
        const others = (await transaction.read('exclusions')).filter((row) => row.exchangeId !== exchangeId);
        transaction.replace('exclusions', [...others, ...replacement.values()]);
        return exclusionsOf([...replacement.values()], exchangeId);
      });
    },

    draw(exchangeId, drawnAt, compute: DrawFunction, idempotency?: IdempotencyIntent<ExchangeRecord>) {
      return files.write(async (transaction) => {
        const exchange = await openExchange(transaction, exchangeId);
        await claimIdempotencyKey(transaction, idempotency);
        const participants = await transaction.read('participants');
        const exclusions = await transaction.read('exclusions');
        const members = inJoinOrder(participants.filter((participant) => participant.exchangeId === exchangeId));
        const assignments = compute({
          participants: members.map(({ id, name }) => ({ id, name })),
          exclusions: exclusionsOf(exclusions, exchangeId),
          rules: { ...exchange.rules },
        });

        const drawn: StoredExchange = { ...exchange, status: 'drawn', drawnAt };
        const record = withCounts(drawn, members, exclusions);
        const exchanges = await transaction.read('exchanges');
        transaction.replace(
          'exchanges',
          exchanges.map((candidate) => (candidate.id === exchangeId ? drawn : candidate)),
        );
        transaction.replace('assignments', [
          ...(await transaction.read('assignments')),
          ...assignments.map(({ giverId, receiverId }) => ({ exchangeId, giverId, receiverId })),
        ]);
        // In the same commit: the e-mails with the private links go out only if the draw is stored.
        transaction.replace('outbox', [
          ...(await transaction.read('outbox')),
          ...newMessages(exchangeId, members, 'drawn', drawnAt),
        ]);
        await saveIdempotencyRecord(transaction, idempotency, record);
        return record;
      });
    },

    async getMeView(participantTokenHash): Promise<MeView | null> {
      let { participants, exchanges, exclusions } = await files.read('participants', 'exchanges', 'exclusions');
      let participant = participants.find((candidate) => candidate.tokenHash === participantTokenHash);
      if (!participant) {
        // Not an own token: perhaps a link token. Read again with the links, all from one committed state.
        const linked = await files.read('links', 'participants', 'exchanges', 'exclusions');
        ({ participants, exchanges, exclusions } = linked);
        participant = participantOfLink(linked.links, participants, participantTokenHash);
      }
      if (!participant) return null;
      const exchange = exchanges.find((candidate) => candidate.id === participant.exchangeId);
      if (!exchange) throw new Error(`Participant ${participant.id} belongs to a missing exchange.`);
      const record = withCounts(exchange, participants, exclusions);
      if (exchange.status !== 'drawn') return { participant, exchange: record, giftee: null };

      // Read apart from the rest: a drawn exchange's assignments never change again.
      const { assignments } = await files.read('assignments');
      const assignment = assignments.find(
        (candidate) => candidate.exchangeId === exchange.id && candidate.giverId === participant.id,
      );
      const giftee = assignment && participants.find((candidate) => candidate.id === assignment.receiverId);
      return {
        participant,
        exchange: record,
        giftee: giftee ? { id: giftee.id, name: giftee.name, wishlist: giftee.wishlist } : null,
      };
    },

    updateWishlist(participantTokenHash, wishlist) {
      return files.write(async (transaction) => {
        const participants = await transaction.read('participants');
        let index = participants.findIndex((candidate) => candidate.tokenHash === participantTokenHash);
        if (index === -1) {
          const linked = participantOfLink(await transaction.read('links'), participants, participantTokenHash);
          index = linked ? participants.indexOf(linked) : -1;
        }
        if (index === -1) return null;
        const updated: ParticipantRecord = { ...participants[index], wishlist };
        transaction.replace('participants', participants.with(index, updated));
        return updated;
      });
    },

    queueReminders(exchangeId, queuedAt, idempotency?: IdempotencyIntent<number>) {
      return files.write(async (transaction) => {
        // Open and drawn exchanges alike.
        if (!(await transaction.read('exchanges')).some((candidate) => candidate.id === exchangeId)) {
          throw new DomainError('not_found', 'No such exchange.');
        }
        await claimIdempotencyKey(transaction, idempotency);
        const windowStart = reminderWindowStart(queuedAt);
        const messages = await transaction.read('outbox');
        const recentlyReminded = new Set(
          messages
            .filter((message) => message.exchangeId === exchangeId && message.kind === 'reminder' && message.createdAt > windowStart)
            .map((message) => message.participantId),
        );
        const recipients = inJoinOrder(
          (await transaction.read('participants')).filter(
            (participant) =>
              participant.exchangeId === exchangeId && participant.wishlist === '' && !recentlyReminded.has(participant.id),
          ),
        );
        if (recipients.length > 0) {
          transaction.replace('outbox', [...messages, ...newMessages(exchangeId, recipients, 'reminder', queuedAt)]);
        }
        await saveIdempotencyRecord(transaction, idempotency, recipients.length);
        return recipients.length;
      });
    },

    claimOutboxMessages({ now, leaseUntil, linkTokenHashes }) {
      if (linkTokenHashes.length === 0) return Promise.resolve([]);
      // The writer lock runs claims one at a time, and the directory's lock keeps
      // every other process out: no message is claimed twice.
      return files.write(async (transaction) => {
        const messages = await transaction.read('outbox');
        const due = messages
          .filter(
            (message) =>
              message.status === 'pending' &&
              message.nextAttemptAt <= now &&
              (message.claimedUntil === null || message.claimedUntil <= now),
          )
          .sort((a, b) => compareText(a.nextAttemptAt, b.nextAttemptAt) || compareText(a.id, b.id))
          .slice(0, linkTokenHashes.length);
        if (due.length === 0) return [];
        const [participants, exchanges] = [await transaction.read('participants'), await transaction.read('exchanges')];
        const leased = new Map(
          due.map((message) => [message.id, { ...message, claimedUntil: leaseUntil, attempts: message.attempts + 1 }]),
        );
        const deliveries: OutboxDelivery[] = due.map((due, index) => {
          const message = leased.get(due.id) as OutboxMessageRecord;
          const participant = participants.find(
            (candidate) => candidate.exchangeId === message.exchangeId && candidate.id === message.participantId,
          );
          const exchange = exchanges.find((candidate) => candidate.id === message.exchangeId);
          if (!participant || !exchange) throw new Error(`Outbox message ${message.id} belongs to nobody.`);
          const { id, name, exchangeDate, budget } = exchange;
          return {
            message,
            linkTokenHash: linkTokenHashes[index],
            participant: { id: participant.id, name: participant.name, email: participant.email },
            exchange: { id, name, exchangeDate, budget: budget && { ...budget } },
          };
        });
        transaction.replace(
          'outbox',
          messages.map((message) => leased.get(message.id) ?? message),
        );
        transaction.replace('links', [
          ...(await transaction.read('links')),
          ...deliveries.map(({ message, linkTokenHash }) => ({
            tokenHash: linkTokenHash,
            exchangeId: message.exchangeId,
            participantId: message.participantId,
            messageId: message.id,
            createdAt: now,
          })),
        ]);
        return deliveries.map((delivery) => ({ ...delivery, message: { ...delivery.message } }));
      });
    },

    completeOutboxMessage(messageId, sentAt) {
      return files.write(async (transaction) => {
        const messages = await transaction.read('outbox');
        const index = messages.findIndex((message) => message.id === messageId && message.status === 'pending');
        if (index === -1) return;
        transaction.replace(
          'outbox',
          messages.with(index, { ...messages[index], status: 'sent', sentAt, claimedUntil: null }),
        );
      });
    },

    failOutboxMessage(messageId, { linkTokenHash, error, retryAt }) {
      return files.write(async (transaction) => {
        const messages = await transaction.read('outbox');
        const index = messages.findIndex((message) => message.id === messageId && message.status === 'pending');
        if (index === -1) return;
        const message = messages[index];
        transaction.replace(
          'outbox',
          messages.with(index, {
            ...message,
            lastError: error,
            claimedUntil: null,
            status: retryAt === null ? 'failed' : 'pending',
            nextAttemptAt: retryAt ?? message.nextAttemptAt,
          }),
        );
        const links = await transaction.read('links');
        const kept = links.filter((link) => !(link.tokenHash === linkTokenHash && link.messageId === messageId));
        if (kept.length < links.length) transaction.replace('links', kept);
      });
    },

    async countOutboxMessages() {
      const { outbox } = await files.read('outbox');
      const counts = { pending: 0, failed: 0 };
      for (const { status } of outbox) {
        if (status === 'pending') counts.pending += 1;
        if (status === 'failed') counts.failed += 1;
      }
      return counts;
    },
  };
}

/** One pending message per participant, due at once. */
function newMessages(
  exchangeId: string,
  participants: ReadonlyArray<{ id: string }>,
  kind: OutboxKind,
  at: string,
): OutboxMessageRecord[] {
  return participants.map(({ id }) => ({
    id: newId(),
    exchangeId,
    participantId: id,
    kind,
    status: 'pending',
    createdAt: at,
    attempts: 0,
    nextAttemptAt: at,
    claimedUntil: null,
    lastError: null,
    sentAt: null,
  }));
}

/** The participant a link token with this hash was e-mailed to. */
function participantOfLink(
  links: readonly ParticipantLinkRecord[],
  participants: readonly ParticipantRecord[],
  tokenHash: string,
): ParticipantRecord | undefined {
  const link = links.find((candidate) => candidate.tokenHash === tokenHash);
  return link && participants.find((candidate) => candidate.exchangeId === link.exchangeId && candidate.id === link.participantId);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The exchange, which must exist and still be open. */
async function openExchange(transaction: WriteTransaction, exchangeId: string): Promise<StoredExchange> {
  const exchange = (await transaction.read('exchanges')).find((candidate) => candidate.id === exchangeId);
  if (!exchange) throw new DomainError('not_found', 'No such exchange.');
  if (exchange.status === 'drawn') throw new DomainError('already_drawn');
  return exchange;
}

/** Refuses the write when a live record holds its Idempotency-Key: a concurrent twin got there first. */
async function claimIdempotencyKey(
  transaction: WriteTransaction,
  intent: IdempotencyIntent<unknown> | undefined,
): Promise<void> {
  if (!intent) return;
  const existing = (await transaction.read('idempotency')).find((record) => record.keyHash === intent.keyHash);
  if (existing && existing.createdAt >= intent.replaceBefore) throw new DomainError('idempotency_key_in_use');
}

/** Stores the response in the same commit as the write, replacing an expired record for the key. */
async function saveIdempotencyRecord<R>(
  transaction: WriteTransaction,
  intent: IdempotencyIntent<R> | undefined,
  result: R,
): Promise<void> {
  if (!intent) return;
  // A copy: the caller gets `result` back and must not find it shared with `respond`.
  const { status, sealedBody } = intent.respond(structuredClone(result));
  const others = (await transaction.read('idempotency')).filter((record) => record.keyHash !== intent.keyHash);
  transaction.replace('idempotency', [
    ...others,
    { keyHash: intent.keyHash, requestHash: intent.requestHash, status, sealedBody, createdAt: intent.createdAt },
  ]);
}

/** The record with its counts, computed from every participant and exclusion row. */
function withCounts(
  exchange: StoredExchange,
  participants: readonly ParticipantRecord[],
  exclusions: readonly ExclusionRow[],
): ExchangeRecord {
  let participantCount = 0;
  let wishlistCount = 0;
  for (const participant of participants) {
    if (participant.exchangeId !== exchange.id) continue;
    participantCount += 1;
    if (participant.wishlist !== '') wishlistCount += 1;
  }
  let exclusionCount = 0;
  for (const exclusion of exclusions) if (exclusion.exchangeId === exchange.id) exclusionCount += 1;
  return { ...exchange, participantCount, wishlistCount, exclusionCount };
}

function exclusionsOf(rows: readonly ExclusionRow[], exchangeId: string): Exclusion[] {
  return rows.filter((row) => row.exchangeId === exchangeId).map(({ giverId, receiverId }) => ({ giverId, receiverId }));
}

/** Participants are listed by (joinedAt, id); file order is append order, which need not match. */
function compareJoinOrder(a: ParticipantCursor, b: ParticipantCursor): number {
  if (a.joinedAt !== b.joinedAt) return a.joinedAt < b.joinedAt ? -1 : 1;
  if (a.id !== b.id) return a.id < b.id ? -1 : 1;
  return 0;
}

function inJoinOrder(participants: ParticipantRecord[]): ParticipantRecord[] {
  return participants.sort(compareJoinOrder);
}
