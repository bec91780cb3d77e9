/**
 * Chooses and trains the recommender, and reads artifacts back.
 *
 * Family 'auto' (the default) fits EASE when the catalogue has at most
 * `easeMaxItems` items (its exact closed form is the most accurate model we
 * measured, see libs/ml/README.md) and ELSA above that, where an n x n matrix
 * no longer fits and ELSA's O(n r) embeddings do.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MlInputError } from '../errors';
import { ItemKnnRecommender, TopPopRecommender } from './baselines';
import { EASE_DEFAULTS, EaseOptions, EaseRecommender, fitEase } from './ease';
import { ElsaOptions, ElsaRecommender, fitElsa } from './elsa';
import { buildImplicitMatrix, ImplicitMatrix, UserItem } from './interactions';
import { ItemToItemRecommender, RecommenderArtifact, RecommenderMetadata } from './model';

export interface TrainRecommenderOptions {
  /** 'auto' (default): EASE up to easeMaxItems items, ELSA above. */
  family?: 'auto' | 'ease' | 'elsa';
  /** Catalogue size up to which 'auto' picks EASE (default 4,000: ~20 s of inverse, 64 MB of weights). */
  easeMaxItems?: number;
  ease?: EaseOptions;
  elsa?: ElsaOptions;
  /** Fixes the item order (e.g. the whole catalogue); default: items in first-seen order. */
  itemIds?: readonly string[];
}

export const DEFAULT_EASE_MAX_ITEMS = 4_000;

/** Trains on implicit interactions (each (user, item) pair once). Records family, seconds and samples/s in `training`. */
export function trainRecommender(interactions: readonly UserItem[] | ImplicitMatrix, options: TrainRecommenderOptions = {}): ItemToItemRecommender {
  const matrix = 'indptr' in interactions ? interactions : buildImplicitMatrix(interactions, options.itemIds);
  const easeMaxItems = options.easeMaxItems ?? DEFAULT_EASE_MAX_ITEMS;
  const family = options.family ?? 'auto';
  const chosen = family === 'auto' ? (matrix.itemIds.length <= easeMaxItems ? 'ease' : 'elsa') : family;
  const started = Date.now();
  const model =
    chosen === 'ease'
      ? fitEase(matrix, { maxItems: Math.max(easeMaxItems, options.ease?.maxItems ?? EASE_DEFAULTS.maxItems), ...options.ease })
      : fitElsa(matrix, options.elsa);
  const trainSeconds = (Date.now() - started) / 1000;
  Object.assign(model.training, {
    family: chosen,
    selectedBy: family === 'auto' ? `auto: ${matrix.itemIds.length} items ${chosen === 'ease' ? '<=' : '>'} easeMaxItems ${easeMaxItems}` : 'explicit',
    trainSeconds,
    samplesPerSec: (matrix.nnz * Number(model.training.epochsRun ?? 1)) / Math.max(trainSeconds, 1e-9),
    users: matrix.userIds.length,
    items: matrix.itemIds.length,
    nnz: matrix.nnz,
  });
  return model;
}

/** Rebuilds a model from its artifact (any family). */
export function loadRecommender(artifact: RecommenderArtifact): ItemToItemRecommender {
  switch (artifact.metadata.family) {
    case 'ease':
      return EaseRecommender.fromArtifact(artifact);
    case 'elsa':
      return ElsaRecommender.fromArtifact(artifact);
    case 'toppop':
      return TopPopRecommender.fromArtifact(artifact);
    case 'itemknn':
      return ItemKnnRecommender.fromArtifact(artifact);
    default:
      throw new MlInputError(`unknown recommender family '${(artifact.metadata as { family: string }).family}'`);
  }
}

/** File names inside an artifact directory. */
export const RECOMMENDER_FILES = { metadata: 'recommender.json', weights: 'recommender.weights.bin' } as const;

/** Writes `recommender.json` and `recommender.weights.bin` (little-endian float32) into `dir`. */
export function saveRecommenderArtifact(dir: string, artifact: RecommenderArtifact): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, RECOMMENDER_FILES.metadata), JSON.stringify(artifact.metadata));
  const { buffer, byteOffset, byteLength } = artifact.weights;
  writeFileSync(join(dir, RECOMMENDER_FILES.weights), new Uint8Array(buffer, byteOffset, byteLength));
}

/** Reads what saveRecommenderArtifact wrote. */
export function readRecommenderArtifact(dir: string): RecommenderArtifact {
  const metadata = JSON.parse(readFileSync(join(dir, RECOMMENDER_FILES.metadata), 'utf8')) as RecommenderMetadata;
  const bytes = readFileSync(join(dir, RECOMMENDER_FILES.weights));
  if (bytes.byteLength % 4 !== 0) throw new MlInputError(`${RECOMMENDER_FILES.weights} is not a whole number of float32 values`);
  const weights = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(weights.buffer).set(bytes);
  return { metadata, weights };
}
