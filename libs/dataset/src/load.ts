import { writeFile } from 'node:fs/promises';
import { TABLES, type BulkStore, type TableName } from '@santa/domain';
import { generateDataset, type DatasetOptions, type DatasetTokens } from './generate';

export interface LoadProgress {
  /** Participants per write batch (with their exchanges, exclusions and assignments). Default 10,000. */
  batchSize?: number;
  onBatch?(table: TableName, rowsSoFar: number): void;
}

export interface LoadResult {
  tokens: DatasetTokens;
  rows: Record<TableName, number>;
  seconds: number;
}

/** Generates the dataset and writes it into a store, in batches. */
export async function loadDataset(store: BulkStore, options: DatasetOptions, progress: LoadProgress = {}): Promise<LoadResult> {
  const started = performance.now();
  const rows = Object.fromEntries(TABLES.map((table) => [table, 0])) as Record<TableName, number>;
  const dataset = generateDataset(options, progress.batchSize);
  for (const batch of dataset.tables) {
    await store.writeRows(batch.table, batch.rows);
    rows[batch.table] += batch.rows.length;
    progress.onBatch?.(batch.table, rows[batch.table]);
  }
  return { tokens: dataset.tokens(), rows, seconds: (performance.now() - started) / 1000 };
}

/**
 * Writes the token file k6 reads. With `sample`, keeps that many participant
 * tokens chosen evenly across the dataset (k6 loads the whole file into memory).
 */
export async function writeTokensFile(path: string, tokens: DatasetTokens, sample?: number): Promise<void> {
  let participantTokens = tokens.participantTokens;
  if (sample !== undefined && sample < participantTokens.length) {
    const step = participantTokens.length / sample;
    participantTokens = Array.from({ length: sample }, (_, i) => tokens.participantTokens[Math.floor(i * step)]);
  }
  await writeFile(path, JSON.stringify({ ...tokens, participantTokens }));
}
