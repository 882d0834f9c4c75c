// What other tools read from this app: the result types, the renderers of its
// reports, and the parsers of its command lines (the docs check their commands with them).
export { COMPARE_USAGE, parseCompareArgs, UsageError } from './args';
export { LADDER_USAGE, parseLadderArgs } from './ladder';
export { renderLadderMarkdown, type ComparisonFiles } from './ladder-report';
export { parseProfileArgs, renderProfileMarkdown, type ProfileResult } from './profile';
export { renderComparisonMarkdown } from './report';
export type { ComparisonResult, LadderResult } from './result';
export { knownTargets } from './targets';
