import { createHash } from 'node:crypto';
import {
  drawAssignments,
  hashSecret,
  LIMITS,
  seededRandom,
  type AssignmentRow,
  type ExclusionRow,
  type NewExchange,
  type ParticipantRecord,
  type Random,
  type TableName,
  type TableRowTypes,
} from '@santa/domain';
import { FIRST_NAMES, GIFT_IDEAS, LAST_NAMES, TEAMS } from './names';

export interface DatasetOptions {
  /** The same seed and options give the same rows and tokens, byte for byte. */
  seed: number;
  /** Participants in total. */
  participants: number;
  /** Default 100; the last exchange takes the remainder (merged into the one before when under 3). */
  participantsPerExchange?: number;
  /** Share of participants in a household pair that excludes each other. Default 0.1. */
  exclusionRate?: number;
  /** Share of participants with a non-empty wishlist. Default 0.8. */
  wishlistRate?: number;
  /** Share of exchanges already drawn, with assignments. Default 1. */
  drawnRate?: number;
}

export interface DatasetTokens {
  seed: number;
  participants: number;
  exchanges: Array<{ id: string; organizerToken: string; inviteCode: string; drawn: boolean }>;
  /** One per participant, in generation order. */
  participantTokens: string[];
}

/** Every row of one exchange, and the secrets the load tests need. */
export interface GeneratedExchange {
  exchange: NewExchange;
  participants: ParticipantRecord[];
  exclusions: ExclusionRow[];
  assignments: AssignmentRow[];
  organizerToken: string;
  inviteCode: string;
  participantTokens: string[];
}

export interface DatasetPlan {
  options: Required<DatasetOptions>;
  /** Participants of each exchange, in order. */
  exchangeSizes: number[];
}

const BASE_TIME_MS = Date.UTC(2026, 0, 5, 9, 0, 0);

export function planDataset(options: DatasetOptions): DatasetPlan {
  const resolved: Required<DatasetOptions> = {
    participantsPerExchange: 100,
    exclusionRate: 0.1,
    wishlistRate: 0.8,
    drawnRate: 1,
    ...options,
  };
  const { participants, participantsPerExchange } = resolved;
  if (!Number.isSafeInteger(resolved.seed)) throw new Error('seed must be an integer');
  if (!Number.isInteger(participants) || participants < LIMITS.minParticipantsForDraw) {
    throw new Error(`participants must be an integer >= ${LIMITS.minParticipantsForDraw}`);
  }
  if (
    !Number.isInteger(participantsPerExchange) ||
    participantsPerExchange < LIMITS.minParticipantsForDraw ||
    participantsPerExchange > LIMITS.participantsPerExchange
  ) {
    throw new Error(`participantsPerExchange must be an integer from ${LIMITS.minParticipantsForDraw} to ${LIMITS.participantsPerExchange}`);
  }
  for (const rate of ['exclusionRate', 'wishlistRate', 'drawnRate'] as const) {
    if (!(resolved[rate] >= 0 && resolved[rate] <= 1)) throw new Error(`${rate} must be between 0 and 1`);
  }
  const exchangeSizes: number[] = [];
  let left = participants;
  while (left > 0) {
    const size = Math.min(participantsPerExchange, left);
    exchangeSizes.push(size);
    left -= size;
  }
  const last = exchangeSizes.length - 1;
  if (exchangeSizes[last] < LIMITS.minParticipantsForDraw && last > 0) {
    // A tail too small to draw joins the exchange before it (which may then exceed
    // participantsPerExchange by at most 2, still far below the contract's limit).
    exchangeSizes[last - 1] += exchangeSizes.pop() ?? 0;
  }
  return { options: resolved, exchangeSizes };
}

/** A secret of the same shape as the real ones, derived from the seed so datasets are reproducible. */
function derivedBytes(seed: number, purpose: string, index: number, length: number): Buffer {
  return createHash('sha256').update(`santa-dataset/${seed}/${purpose}/${index}`).digest().subarray(0, length);
}

/** A UUIDv7 for a given instant with its random bits from the seeded generator. */
function uuidV7(ms: number, random: Random): string {
  const hex = (value: number, digits: number) => value.toString(16).padStart(digits, '0');
  const time = hex(ms, 12);
  const randA = random.int(0x1000);
  const variantAndRandB = 0x8000 | random.int(0x4000);
  const tail = hex(random.int(0x1000000), 6) + hex(random.int(0x1000000), 6);
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${hex(randA, 3)}-${hex(variantAndRandB, 4)}-${tail}`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function pick<T>(items: readonly T[], random: Random): T {
  return items[random.int(items.length)];
}

/**
 * Builds exchange `index` of the plan. Each exchange has a generator of its own,
 * seeded from the dataset's seed and its index, so any exchange can be built
 * without building the ones before it.
 */
export function buildExchange(plan: DatasetPlan, index: number, firstParticipant: number): GeneratedExchange {
  const { seed, exclusionRate, wishlistRate, drawnRate } = plan.options;
  const size = plan.exchangeSizes[index];
  const random = seededRandom((seed * 1_000_003 + index) % Number.MAX_SAFE_INTEGER);
  const createdMs = BASE_TIME_MS + index * 60_000;

  const organizerToken = `so_${derivedBytes(seed, 'organizer', index, 32).toString('base64url')}`;
  const inviteCode = derivedBytes(seed, 'invite', index, 12).toString('base64url');
  const drawn = random.int(1_000_000) < drawnRate * 1_000_000;
  const exchangeId = uuidV7(createdMs, random);

  const participants: ParticipantRecord[] = [];
  const participantTokens: string[] = [];
  for (let j = 0; j < size; j += 1) {
    const global = firstParticipant + j;
    const first = pick(FIRST_NAMES, random);
    const last = pick(LAST_NAMES, random);
    const joinedMs = createdMs + 1_000 + j * 10;
    let wishlist = '';
    if (random.int(1_000_000) < wishlistRate * 1_000_000) {
      const items = 1 + random.int(4);
      wishlist = Array.from({ length: items }, () => pick(GIFT_IDEAS, random)).join(', ');
    }
    const token = `sp_${derivedBytes(seed, 'participant', global, 32).toString('base64url')}`;
    participantTokens.push(token);
    participants.push({
      id: uuidV7(joinedMs, random),
      exchangeId,
      name: `${first} ${last}`,
      email: `${first}.${last}.${global}@example.test`.normalize('NFKD').replace(/[^\x20-\x7e]/g, '').toLowerCase(),
      wishlist,
      joinedAt: iso(joinedMs),
      tokenHash: hashSecret(token),
    });
  }

  // Household pairs: neighbours in join order who must not draw each other.
  const exclusions: ExclusionRow[] = [];
  for (let j = 0; j + 1 < size; j += 2) {
    if (random.int(1_000_000) < exclusionRate * 1_000_000) {
      const a = participants[j].id;
      const b = participants[j + 1].id;
      exclusions.push({ exchangeId, giverId: a, receiverId: b }, { exchangeId, giverId: b, receiverId: a });
    }
  }

  const assignments: AssignmentRow[] = drawn
    ? drawAssignments(
        { participants: participants.map(({ id, name }) => ({ id, name })), exclusions, rules: { singleCycle: false } },
        random,
      ).map((assignment) => ({ exchangeId, ...assignment }))
    : [];

  const exchange: NewExchange = {
    id: exchangeId,
    name: `${pick(TEAMS, random)} gift exchange ${index + 1}`,
    budget: random.int(4) === 0 ? null : { amount: [10, 20, 25, 50][random.int(4)], currency: pick(['EUR', 'GBP', 'USD'], random) },
    exchangeDate: '2026-12-18',
    rules: { singleCycle: false },
    status: drawn ? 'drawn' : 'open',
    createdAt: iso(createdMs),
    drawnAt: drawn ? iso(createdMs + 3_600_000) : null,
    organizerTokenHash: hashSecret(organizerToken),
    inviteCodeHash: hashSecret(inviteCode),
  };
  return { exchange, participants, exclusions, assignments, organizerToken, inviteCode, participantTokens };
}

export interface DatasetBatch<T extends TableName = TableName> {
  table: T;
  rows: TableRowTypes[T][];
}

/**
 * The dataset as batches, `batchParticipants` participants' worth of exchanges at a
 * time: each group's exchanges, then their participants, exclusions and assignments.
 * Every batch refers only to rows of earlier batches, so a store can write them in
 * this order. Tokens are collected as the batches are produced.
 */
export function* datasetBatches(plan: DatasetPlan, tokens: DatasetTokens, batchParticipants = 10_000): Generator<DatasetBatch> {
  let nextParticipant = 0;
  let index = 0;
  while (index < plan.exchangeSizes.length) {
    const group: GeneratedExchange[] = [];
    let inGroup = 0;
    while (index < plan.exchangeSizes.length && (group.length === 0 || inGroup + plan.exchangeSizes[index] <= batchParticipants)) {
      const built = buildExchange(plan, index, nextParticipant);
      nextParticipant += built.participants.length;
      inGroup += built.participants.length;
      group.push(built);
      tokens.exchanges.push({
        id: built.exchange.id,
        organizerToken: built.organizerToken,
        inviteCode: built.inviteCode,
        drawn: built.exchange.status === 'drawn',
      });
      tokens.participantTokens.push(...built.participantTokens);
      index += 1;
    }
    yield { table: 'exchanges', rows: group.map((g) => g.exchange) };
    yield { table: 'participants', rows: group.flatMap((g) => g.participants) };
    const exclusions = group.flatMap((g) => g.exclusions);
    if (exclusions.length > 0) yield { table: 'exclusions', rows: exclusions };
    const assignments = group.flatMap((g) => g.assignments);
    if (assignments.length > 0) yield { table: 'assignments', rows: assignments };
  }
}

/** The rows alone, lazily, for tools that write them elsewhere; `tokens()` is complete once every batch was read. */
export function generateDataset(
  options: DatasetOptions,
  batchParticipants?: number,
): { tables: Iterable<DatasetBatch>; tokens(): DatasetTokens } {
  const plan = planDataset(options);
  const tokens: DatasetTokens = { seed: plan.options.seed, participants: plan.options.participants, exchanges: [], participantTokens: [] };
  return { tables: { [Symbol.iterator]: () => datasetBatches(plan, tokens, batchParticipants) }, tokens: () => tokens };
}
