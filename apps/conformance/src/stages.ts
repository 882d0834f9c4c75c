/**
 * Every stage the conformance suites run against, as `npm run stage -- <name>` knows
 * it. Each suite is a function of the stage name, so a new stage is one more line here.
 */
export const STAGES = ['01-csv', '02-sqlite'] as const;

export type StageName = (typeof STAGES)[number];
