import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { repoRoot } from '../repo';

/** Environment variable that points the loaders at the dataset folder. */
export const DATA_DIR_ENV = 'STORELOOP_DATA_DIR';

export type DatasetErrorCode = 'DATASET.DIR_MISSING' | 'DATASET.FILE_MISSING' | 'DATASET.MALFORMED_ROW';

/** A dataset that cannot be read: missing folder, missing file, or a row that does not parse. */
export class DatasetError extends Error {
  override readonly name = 'DatasetError';

  constructor(
    readonly code: DatasetErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The datasets the loaders know, with where a user obtains each one (see shared/data/README.md). */
export const DATASET_SOURCES = {
  'movielens-100k':
    'MovieLens 100K from GroupLens (https://grouplens.org/datasets/movielens/100k/), in the RecBole atomic ' +
    'format (ml-100k.inter/.item/.user, as in RUCAIBox/RecBole dataset/ml-100k)',
  cdnow:
    'the CDNOW master data set from Fader & Hardie (https://www.brucehardie.com/datasets/), saved as ' +
    'cdnow_master.txt',
  'm5-tiny':
    'the M5 forecasting data from Kaggle (https://www.kaggle.com/competitions/m5-forecasting-accuracy), ' +
    'or its 280-series subset from the R package m5 (krzjoa/m5, tiny_m5), in the competition CSV layout',
} as const;

export type DatasetName = keyof typeof DATASET_SOURCES;

interface ResolvedDataDir {
  path: string;
  /** How the path was chosen, for error messages. */
  source: string;
}

function resolveDataDir(override?: string): ResolvedDataDir {
  if (override !== undefined) return { path: resolve(override), source: 'the dir argument' };
  const fromEnv = process.env[DATA_DIR_ENV];
  // An empty variable is treated as unset rather than as the current directory.
  if (fromEnv) return { path: resolve(fromEnv), source: DATA_DIR_ENV };
  let root: string;
  try {
    root = repoRoot();
  } catch {
    throw new DatasetError(
      'DATASET.DIR_MISSING',
      `cannot locate the dataset directory: ${DATA_DIR_ENV} is not set and no nx.json lies above ${__dirname}. ` +
        `Set ${DATA_DIR_ENV} to the folder holding ${Object.keys(DATASET_SOURCES).join(', ')}.`,
    );
  }
  return {
    path: resolve(root, '..', 'shared', 'data'),
    source: `the default <repo root>/../shared/data, as ${DATA_DIR_ENV} is not set`,
  };
}

function obtainHint(): string {
  const sources = Object.entries(DATASET_SOURCES)
    .map(([name, source]) => `${name}/: ${source}`)
    .join('; ');
  return (
    `Set ${DATA_DIR_ENV} (or pass a directory) to a folder holding ${Object.keys(DATASET_SOURCES).join('/, ')}/. ` +
    `The data is research-only and not shipped with the project; obtain it from the publishers: ${sources}. ` +
    `The expected layout is described in shared/data/README.md.`
  );
}

function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

/**
 * The folder holding the real datasets: `override`, else $STORELOOP_DATA_DIR,
 * else `<repo root>/../shared/data`. Throws a DatasetError naming the source
 * and the path when that folder does not exist.
 */
export function dataDir(override?: string): string {
  const { path, source } = resolveDataDir(override);
  if (!isDirectory(path)) {
    throw new DatasetError(
      'DATASET.DIR_MISSING',
      `dataset directory ${path} (from ${source}) does not exist or is not a directory. ${obtainHint()}`,
    );
  }
  return path;
}

/**
 * Absolute path of `file` inside `dataset` under the data directory; throws a
 * DatasetError naming the file and where to obtain the dataset when it is missing.
 */
export function dataFile(dataset: DatasetName, file: string, override?: string): string {
  const { source } = resolveDataDir(override);
  const path = join(dataDir(override), dataset, file);
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new DatasetError(
      'DATASET.FILE_MISSING',
      `dataset file ${path} is missing (data directory from ${source}). ` +
        `Place ${dataset}/${file} there: obtain ${DATASET_SOURCES[dataset]}. See shared/data/README.md.`,
    );
  }
  return path;
}
