/**
 * mixed: mostly reads, with writes among them (shares in MIXED_SHARES): `GET /me`,
 * `GET /exchanges/:id`, `PUT /me/wishlist`, and guests joining open exchanges with
 * their invite code. Shows what writes do to the reads beside them: locks, a single
 * writer, cache invalidation. Every POST carries a fresh Idempotency-Key and is
 * retried with it on a connection error, 502 or 503 (see lib/http.ts).
 */
import { fixedRateScenario } from './lib/scenario.ts';

const scenario = fixedRateScenario('mixed');

export const options = scenario.options;
export const setup = scenario.setup;
export default scenario.run;
export const handleSummary = scenario.handleSummary;
