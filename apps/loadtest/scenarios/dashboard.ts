/**
 * dashboard: organizers reading their exchange, `GET /api/v1/exchanges/:id`, an
 * exchange drawn uniformly from the token file. Its counts are exact, so this
 * measures what the stage pays to count participants, wishlists and exclusions.
 */
import { fixedRateScenario } from './lib/scenario.ts';

const scenario = fixedRateScenario('dashboard');

export const options = scenario.options;
export const setup = scenario.setup;
export default scenario.run;
export const handleSummary = scenario.handleSummary;
