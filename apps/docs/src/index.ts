export { findBlocks, formatBlock, type Block } from './blocks';
export { docFiles, inspectDocs, regenerate, type BlockState } from './docs';
export { renderBlock } from './render';
export { Results } from './results';
export { RUNBOOKS, type Runbook } from './runbooks';
