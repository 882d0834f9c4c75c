export { createApp, beginShutdown, type AppDependencies } from './app';
export { serve, type ServeOptions, type Served } from './serve';
export { instrumentStore, createRequestMetrics, type RequestMetrics } from './metrics';
export { problem, problemType, PROBLEM_STATUS, type Problem, type ProblemCode } from './problem';
export { OPENAPI_PATH, openApiDocument } from './openapi';
export { neutraliseCell, participantsToCsv, parseParticipantsCsv } from './csv';
export { readConfig, serverEnv, mailEnv } from './config';
export { createOutboxMetrics, type OutboxMetrics } from './outbox-metrics';
