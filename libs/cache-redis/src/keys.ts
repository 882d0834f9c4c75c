import { randomBytes } from 'node:crypto';

/**
 * Where everything lives in Redis, under one prefix:
 *
 *   <prefix>epoch                              tag part shared by every view; deleting it voids them all
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
  generation(exchangeId: string): string;
}

export const DEFAULT_KEY_PREFIX = 'santa:cache:v1:';

export function cacheKeys(prefix: string): CacheKeys {
  return {
    prefix,
    epoch: `${prefix}epoch`,
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
 * ARGV[5] a fresh tag value, used for an epoch or generation that is missing
 * ARGV[6] seconds a new generation lives
 *
 * Returns nil when the owner is unknown, else { exchange id, view key, view or nil }.
 * The script builds its keys from the prefix, which a single Redis server allows and
 * Redis Cluster would not; this cache targets one server.
 */
export const READ_VIEW_SCRIPT = `
local prefix = ARGV[1]
local exchangeId = ARGV[2]
if exchangeId == '' then
  exchangeId = redis.call('GET', prefix .. ARGV[3])
  if not exchangeId then return false end
end
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
local generation = current(prefix .. 'gen:' .. exchangeId, ARGV[6])
local viewKey = prefix .. ARGV[4] .. ':' .. epoch .. ':' .. generation
return { exchangeId, viewKey, redis.call('GET', viewKey) }
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
