export {
  buildExchange,
  datasetBatches,
  generateDataset,
  planDataset,
  type DatasetBatch,
  type DatasetOptions,
  type DatasetPlan,
  type DatasetTokens,
  type GeneratedExchange,
} from './generate';
export { loadDataset, writeTokensFile, type LoadProgress, type LoadResult } from './load';
