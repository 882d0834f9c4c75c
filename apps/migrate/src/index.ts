export { copyTables, DEFAULT_BATCH_SIZE, type CopyOptions, type CopyReport, type TableCopy } from './copy';
export {
  describeLocation,
  openLocation,
  parseLocation,
  STAGES,
  UsageError,
  type Location,
  type MigratableStore,
  type StageName,
} from './locations';
export {
  migrate,
  MigrationRefusedError,
  StoreFailedError,
  VerificationError,
  type MigrationOptions,
  type MigrationReport,
  type Mode,
} from './migrate';
export { auditAssignments, canonicalJson, compareStores, type AssignmentAudit, type Comparison } from './verify';
export { renderMarkdown, type BenchmarkResults } from './results';
export { HELP, parseCommand, type Command } from './cli';
