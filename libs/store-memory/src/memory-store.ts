import {
  DomainError,
  LIMITS,
  StoreUnavailableError,
  normalizeEmail,
  toParticipant,
  type Exclusion,
  type ExchangeRecord,
  type ExchangeStore,
  type IdempotencyIntent,
  type IdempotencyRecord,
  type ParticipantRecord,
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

/**
 * The whole store in a few Maps, indexed for every lookup the port makes. Every
 * method validates everything first and mutates last, and does its work without
 * awaiting, so each call is atomic in one process. Records cross the boundary as
 * copies: a caller that mutates what it passed in or got back cannot reach the store.
 */
export function createMemoryStore(): ExchangeStore {
  const exchanges = new Map<string, ExchangeState>();
  const exchangesByOrganizerTokenHash = new Map<string, ExchangeState>();
  const participantsByTokenHash = new Map<string, ParticipantEntry>();
  const idempotencyRecords = new Map<string, IdempotencyRecord>();
  let closed = false;

  function assertOpen(): void {
    if (closed) throw new StoreUnavailableError('The store is closed.');
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

  return {
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
      state.emails.delete(normalizeEmail(participant.email));
      for (const [key, exclusion] of state.exclusions) {
        if (exclusion.giverId === participantId || exclusion.receiverId === participantId) state.exclusions.delete(key);
      }
      state.record.participantCount -= 1;
      if (participant.wishlist !== '') state.record.wishlistCount -= 1;
      state.record.exclusionCount = state.exclusions.size;
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
      state.record.status = 'drawn';
      state.record.drawnAt = drawnAt;
      saveIdempotencyRecord(saved);
      return drawn;
    },

    async getMeView(participantTokenHash) {
      assertOpen();
      const entry = participantsByTokenHash.get(participantTokenHash);
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
      const entry = participantsByTokenHash.get(participantTokenHash);
      if (!entry) return null;
      const { participant, exchange } = entry;
      exchange.record.wishlistCount += Number(wishlist !== '') - Number(participant.wishlist !== '');
      participant.wishlist = wishlist;
      return copyParticipant(participant);
    },
  };
}

function exclusionKey(giverId: string, receiverId: string): string {
  return `${giverId} ${receiverId}`;
}

function copyExchange(record: ExchangeRecord): ExchangeRecord {
  return { ...record, budget: record.budget && { ...record.budget }, rules: { ...record.rules } };
}

function copyParticipant(record: ParticipantRecord): ParticipantRecord {
  return { ...record };
}

function copyExclusion({ giverId, receiverId }: Exclusion): Exclusion {
  return { giverId, receiverId };
}
