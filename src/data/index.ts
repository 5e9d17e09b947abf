/**
 * The data layer in one import: schema, the immutable columnar `Dataset`, splits, mini-batching, the streaming CSV
 * loader (with vocabularies and timestamps), danfo.js interop, the CDR data shape, user samples for quick real-data
 * runs and the dataset checks (`checkDataset`, `DATASETS`, `resolveDatasetDir`). Note that `batching.ts` loads
 * TensorFlow.js; danfo.js is only loaded when `toDataFrame` / `fromDataFrame` are first called.
 * @example
 * import { loadCsv, randomSplit, batches } from './data/index.ts';
 */
export * from './schema.ts';
export * from './dataset.ts';
export * from './split.ts';
export * from './batching.ts';
export * from './csv.ts';
export * from './dataframe.ts';
export * from './ali-ccp.ts';
export * from './vocabulary.ts';
export * from './datetime.ts';
export * from './cdr-data.ts';
export * from './sample.ts';
export * from './check.ts';
