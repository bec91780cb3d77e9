import { loadScorerArtifact, SCORER_MANIFEST_FILE, type ArtifactMetadata, type SegmentProfile, type StoredArtifact } from '@storeloop/ml';
import { EmbeddingIndex } from '../serving/embedding-index';
import { MlpScorer } from '../serving/mlp-scorer';

export const RECOMMENDER_METADATA_FILE = 'recommender.json';
export const RECOMMENDER_WEIGHTS_FILE = 'recommender.bin';
export const SEGMENTS_FILE = 'segments.json';

/** Thrown when a stored version cannot serve; the registry keeps what it serves and logs the code. */
export class ModelLoadError extends Error {
  override readonly name = 'ModelLoadError';
  constructor(
    readonly code: 'INFERENCE.MODEL_NOT_FOUND' | 'INFERENCE.MODEL_INVALID',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * One version, ready to answer: the scorer as a plain-JS MLP (no TF.js in the
 * request path), the item embeddings for retrieval and similar items, and the
 * segment profiles of the version. Immutable once built: a swap replaces the
 * whole object, so a request that started on one version ends on it.
 */
export interface ServingModel {
  modelName: string;
  version: string;
  metadata: ArtifactMetadata;
  scorer: MlpScorer | null;
  embeddings: EmbeddingIndex | null;
  segments: SegmentProfile[] | null;
  loadedAt: string;
}

export function parseSegmentProfiles(bytes: Uint8Array | undefined): SegmentProfile[] | null {
  if (!bytes) return null;
  const parsed = JSON.parse(new TextDecoder().decode(bytes)) as { profiles?: SegmentProfile[] };
  return Array.isArray(parsed.profiles) ? parsed.profiles : null;
}

/** Builds the serving form of a stored version; the TF.js model used to read the scorer is disposed before returning. */
export async function buildServingModel(artifact: StoredArtifact): Promise<ServingModel> {
  const { metadata, files } = artifact;
  const where = `${metadata.modelName}/${metadata.version}`;
  try {
    let scorer: MlpScorer | null = null;
    if (files.has(SCORER_MANIFEST_FILE)) {
      const loaded = await loadScorerArtifact(files);
      try {
        scorer = MlpScorer.fromLoaded(loaded);
      } finally {
        loaded.network.dispose();
      }
    }
    const recommenderMetadata = files.get(RECOMMENDER_METADATA_FILE);
    const recommenderWeights = files.get(RECOMMENDER_WEIGHTS_FILE);
    const embeddings = recommenderMetadata && recommenderWeights ? EmbeddingIndex.fromRecommenderArtifact(recommenderMetadata, recommenderWeights) : null;
    if (!scorer && !embeddings) throw new Error(`neither a scorer (${SCORER_MANIFEST_FILE}) nor item embeddings (${RECOMMENDER_METADATA_FILE})`);
    return {
      modelName: metadata.modelName,
      version: metadata.version,
      metadata,
      scorer,
      embeddings,
      segments: parseSegmentProfiles(files.get(SEGMENTS_FILE)),
      loadedAt: new Date().toISOString(),
    };
  } catch (error) {
    throw new ModelLoadError('INFERENCE.MODEL_INVALID', `${where} cannot serve: ${(error as Error).message}`, { cause: error });
  }
}
