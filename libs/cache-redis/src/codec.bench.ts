import { deserialize, serialize } from 'node:v8';
import { bench, describe } from 'vitest';
import type { MeView } from '@santa/domain';
import { newExchangeRecord, newParticipantRecord } from '@santa/domain/testing';

/**
 * How a cached view is encoded: JSON text, or V8's structured serialisation (what
 * `structuredClone` uses). A hit decodes once; a miss encodes once. Sizes are in the
 * bench names. Run: vitest bench --run --project cache-redis
 */

const exchange = {
  ...newExchangeRecord({ name: 'Office party 2026', budget: { amount: 25, currency: 'EUR' } }),
  participantCount: 48,
  wishlistCount: 31,
  exclusionCount: 6,
};
const participant = newParticipantRecord(exchange.id, { name: 'Zoë Łukasz', wishlist: 'Warm socks, a good novel, dark chocolate 🍫' });
const giftee = newParticipantRecord(exchange.id, { name: 'Bob Example', wishlist: 'Anything with cats on it. Tea. Not mugs, I have enough mugs.' });
const view: MeView = { participant, exchange, giftee: { id: giftee.id, name: giftee.name, wishlist: giftee.wishlist } };

const json = JSON.stringify(view);
const structured = serialize(view);
const jsonBytes = Buffer.byteLength(json);

describe(`decode a /me view (a hit): JSON ${jsonBytes} bytes, V8 ${structured.length} bytes`, () => {
  bench('JSON.parse', () => {
    JSON.parse(json);
  });
  bench('v8.deserialize', () => {
    deserialize(structured);
  });
});

describe('encode a /me view (a miss)', () => {
  bench('JSON.stringify', () => {
    JSON.stringify(view);
  });
  bench('v8.serialize', () => {
    serialize(view);
  });
});
