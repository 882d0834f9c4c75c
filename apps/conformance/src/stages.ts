/**
 * Every stage the conformance suites run against, as `npm run stage -- <name>` knows
 * it (the runner starts the PostgreSQL and Redis a stage needs). Each suite is a
 * function of the stage name, so a new stage is one more entry here.
 */
export const STAGES = ['01-csv', '02-sqlite', '03-postgres', '04-redis-cache', '05-replicas'] as const;

export type StageName = (typeof STAGES)[number];
