/**
 * reveal: participants opening their private link, `GET /api/v1/me`, each with a
 * token drawn uniformly from the token file. The hot read path of every stage: what
 * it costs to find a participant by token, their exchange and their giftee.
 */
import { fixedRateScenario } from './lib/scenario.ts';

const scenario = fixedRateScenario('reveal');

export const options = scenario.options;
export const setup = scenario.setup;
export default scenario.run;
export const handleSummary = scenario.handleSummary;
