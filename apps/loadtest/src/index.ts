/**
 * The Node side of the load tests, for the comparison runner and the smoke test:
 * find k6, run a scenario against a stage, read what it measured.
 * The scenarios themselves are k6 scripts under ../scenarios.
 */
export { K6_VERSION, k6Binary, k6Version } from './k6';
export { K6_EXIT, SCENARIOS, runScenario, scenarioScript, type K6RunResult, type RunScenarioOptions, type ScenarioName } from './run';
export {
  HELD_RATE_SHARE,
  SummaryFormatError,
  capacityOf,
  parseK6Summary,
  type CapacityStep,
  type K6Summary,
  type LatencyMs,
  type RouteStats,
} from './summary';
export { assertLoopback, createSmokeTokens } from './tokens';
/** The token file the scenarios read, as the dataset generator writes it. */
export type { DatasetTokens } from '@santa/dataset';
