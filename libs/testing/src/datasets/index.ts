export { DATA_DIR_ENV, DATASET_SOURCES, DatasetError, dataDir, dataFile } from './data-dir';
export type { DatasetErrorCode, DatasetName } from './data-dir';
export { parseCsvLine } from './csv';
export { loadMovieLensInteractions, loadMovieLensItems, loadMovieLensUsers } from './movielens';
export type { MovieLensItem, MovieLensRating, MovieLensUser } from './movielens';
export { loadCdnowPurchases } from './cd-purchases';
export type { CdnowPurchase } from './cd-purchases';
export { loadM5Calendar, loadM5Prices, loadM5Sales } from './m5';
export type { M5CalendarDay, M5Event, M5Price, M5Series } from './m5';
