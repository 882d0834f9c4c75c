export { openCsvStore, type CsvStore, type CsvStoreOptions } from './csv-store';
export { DataDirFormatError, FORMAT_VERSION } from './data-dir';
export { DataDirLockedError } from './owner-lock';
export { CorruptTableError } from './tables';
