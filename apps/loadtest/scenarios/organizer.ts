/**
 * organizer: whole organizer sessions, each an iteration: create an exchange, add
 * participants one by one, draw. All writes, and it needs no token file: it makes its
 * own exchanges. RATE counts sessions per second, each of them several requests.
 */
import { fixedRateScenario } from './lib/scenario.ts';

const scenario = fixedRateScenario('organizer');

export const options = scenario.options;
export const setup = scenario.setup;
export default scenario.run;
export const handleSummary = scenario.handleSummary;
