import { randomBytes } from 'node:crypto';

/**
 * Where everything lives in Redis, under one prefix:
 *
 *   <prefix>epoch                              tag part shared by every view; deleting it voids them all
 *   <prefix>clock                              replaced by every invalidation: a first read caches only if it did not move
 *   <prefix>gen:<exchangeId>                   tag part of one exchange's views; deleting it voids them
 *   <prefix>owner:organizer:<tokenHash>        exchange id of an organizer token (never changes)
 *   <prefix>owner:participant:<tokenHash>      exchange id of a participant token (never changes)
 *   <prefix>exchange:<exchangeId>:<epoch>:<gen>          getExchange
 *   <prefix>dashboard:<tokenHash>:<epoch>:<gen>          getExchangeByOrganizerTokenHash
 *   <prefix>me:<tokenHash>:<epoch>:<gen>                 getMeView
 *
 * A missing epoch or generation is created with a fresh value that was never used
 * before, so a value that disappears (deleted, evicted, expired, lost in a restart)
 * can never come back and make an old view reachable again.
 */
export interface CacheKeys {
  readonly prefix: string;
  readonly epoch: string;
  /** Changes with every invalidation, of one exchange or of everything. */
  readonly clock: string;
  generation(exchangeId: string): string;
}

export const DEFAULT_KEY_PREFIX = 'santa:cache:v1:';

export function cacheKeys(prefix: string): CacheKeys {
  return {
    prefix,
    epoch: `${prefix}epoch`,
    clock: `${prefix}clock`,
    generation: (exchangeId) => `${prefix}gen:${exchangeId}`,
  };
}

/** Owner keys and view stems are relative to the prefix: the read script adds it. */
export const relativeKeys = {
  organizerOwner: (tokenHash: string) => `owner:organizer:${tokenHash}`,
  participantOwner: (tokenHash: string) => `owner:participant:${tokenHash}`,
  exchangeView: (exchangeId: string) => `exchange:${exchangeId}`,
  dashboardView: (tokenHash: string) => `dashboard:${tokenHash}`,
  meView: (tokenHash: string) => `me:${tokenHash}`,
};

/**
 * Tag values that are unique across processes and time: a random process part (72
 * bits) and a counter. Cheaper than fresh random bytes for every read.
 */
export function createTagSource(): () => string {
  const processPart = randomBytes(9).toString('base64url');
  let counter = 0;
  return () => {
    counter += 1;
    return `${processPart}${counter.toString(36)}`;
  };
}

/**
 * Finds a view's current tag and the view stored under it, in one round trip.
 *
 * ARGV[1] the key prefix
 * ARGV[2] the exchange id, or '' to look it up under the owner key ARGV[3]
 * ARGV[3] the owner key (token hash to exchange id), without the prefix
 * ARGV[4] the view key stem, without the prefix
 * ARGV[5] a fresh tag value, used for an epoch, generation or clock that is missing
 * ARGV[6] seconds a new generation lives
 *
 * Returns { exchange id, view key, view or nil } when the exchange is known. When the
 * owner is unknown, it returns { '', epoch, clock }: what `STORE_FIRST_READ_SCRIPT`
 * checks after the load. The script builds its keys from the prefix, which a single
 * Redis server allows and Redis Cluster would not; this cache targets one server.
 */
export const READ_VIEW_SCRIPT = `
local prefix = ARGV[1]
local function current(key, ttl)
  local value = redis.call('GET', key)
  if value then return value end
  if ttl then
    redis.call('SET', key, ARGV[5], 'EX', ttl)
  else
    redis.call('SET', key, ARGV[5])
  end
  return ARGV[5]
end
local epoch = current(prefix .. 'epoch', nil)
local exchangeId = ARGV[2]
if exchangeId == '' then
  exchangeId = redis.call('GET', prefix .. ARGV[3])
  if not exchangeId then return { '', epoch, current(prefix .. 'clock', nil) } end
end
local generation = current(prefix .. 'gen:' .. exchangeId, ARGV[6])
local viewKey = prefix .. ARGV[4] .. ':' .. epoch .. ':' .. generation
return { exchangeId, viewKey, redis.call('GET', viewKey) }
`;

/**
 * Stores a view loaded for a token whose exchange was unknown when the read began,
 * and remembers the token's exchange. The view is stored only if neither the epoch
 * nor the clock moved since the read script ran before the load: no invalidation
 * happened in between, so the load saw every write that resolved before it began,
 * and a write committing later deletes the generation the view is stored under.
 *
 * ARGV[1] the key prefix
 * ARGV[2] the epoch and ARGV[3] the clock the read script returned
 * ARGV[4] the exchange id the load found
 * ARGV[5] the owner key, without the prefix
 * ARGV[6] the view key stem, without the prefix
 * ARGV[7] a fresh tag value, for a generation that is missing
 * ARGV[8] seconds owner mappings and a new generation live
 * ARGV[9] seconds the view lives
 * ARGV[10] the view
 *
 * Returns 1 when the view was stored, 0 when an invalidation came first.
 */
export const STORE_FIRST_READ_SCRIPT = `
local prefix = ARGV[1]
redis.call('SET', prefix .. ARGV[5], ARGV[4], 'EX', ARGV[8])
if redis.call('GET', prefix .. 'epoch') ~= ARGV[2] or redis.call('GET', prefix .. 'clock') ~= ARGV[3] then
  return 0
end
local generationKey = prefix .. 'gen:' .. ARGV[4]
local generation = redis.call('GET', generationKey)
if not generation then
  generation = ARGV[7]
  redis.call('SET', generationKey, generation, 'EX', ARGV[8])
end
redis.call('SET', prefix .. ARGV[6] .. ':' .. ARGV[2] .. ':' .. generation, ARGV[10], 'EX', ARGV[9])
return 1
`;

/**
 * Deletes tags (generations or the epoch) and moves the clock, atomically, so a
 * first read either stores its view before the deletion (under a tag that is then
 * gone) or sees the clock moved and stores nothing.
 *
 * KEYS    the tags to delete, then the clock
 * ARGV[1] a fresh value for the clock
 */
export const INVALIDATE_SCRIPT = `
local clock = table.remove(KEYS)
redis.call('DEL', unpack(KEYS))
redis.call('SET', clock, ARGV[1])
return #KEYS
`;

/**
 * Records that tokens belong to an exchange, in one command for many tokens.
 *
 * KEYS    the owner keys
 * ARGV[1] the exchange id
 * ARGV[2] seconds the mappings live
 */
export const REMEMBER_OWNERS_SCRIPT = `
for _, key in ipairs(KEYS) do
  redis.call('SET', key, ARGV[1], 'EX', ARGV[2])
end
return #KEYS
`;
