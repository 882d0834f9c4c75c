/**
 * capacity: the highest rate a stage holds within the SLO. The WORKLOAD (reveal by
 * default) climbs a staircase from START_RATE to MAX_RATE; each step reports its own
 * p95, failure rate and achieved rate, and the capacity is the last step that held.
 */
import { capacityScenario } from './lib/scenario.ts';

const scenario = capacityScenario('capacity');

export const options = scenario.options;
export const setup = scenario.setup;
export default scenario.run;
export const handleSummary = scenario.handleSummary;
