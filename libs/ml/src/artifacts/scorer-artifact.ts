import { loadPropensityModel, serializePropensityModel, type LoadedPropensityModel, type PropensityManifest } from '../propensity';

/**
 * The scoring model's files in a version (`kind: mlp-scorer`), shared by the
 * trainer that writes them and the inference service that reads them, so the
 * two cannot disagree on names or on the order of the input columns.
 */
export const SCORER_KIND = 'mlp-scorer';
export const SCORER_MANIFEST_FILE = 'model.json';
export const SCORER_WEIGHTS_FILE = 'weights.bin';

/**
 * Input columns: `u.<name>` for a user feature (the pair's `x.` cross
 * features travel with them), `i.<name>` for an item feature, sorted by
 * name. The trainer derives them from its examples and stores them as the
 * model's `featureNames`; a reader builds rows with `scorerRow`.
 */
export function scorerColumns(examples: Iterable<{ user: Record<string, number>; item: Record<string, number> }>): string[] {
  const names = new Set<string>();
  for (const example of examples) {
    for (const name of Object.keys(example.user)) names.add(`u.${name}`);
    for (const name of Object.keys(example.item)) names.add(`i.${name}`);
  }
  return [...names].sort();
}

/** One input row in the model's column order; a feature the caller does not have is 0, as in training. */
export function scorerRow(columns: readonly string[], user: Readonly<Record<string, number>>, item: Readonly<Record<string, number>>): number[] {
  return columns.map((column) => (column.startsWith('u.') ? user[column.slice(2)] : item[column.slice(2)]) ?? 0);
}

export async function scorerArtifactFiles(model: LoadedPropensityModel): Promise<Record<string, Uint8Array>> {
  const { manifest, weights } = await serializePropensityModel(model);
  return { [SCORER_MANIFEST_FILE]: new TextEncoder().encode(JSON.stringify(manifest)), [SCORER_WEIGHTS_FILE]: weights };
}

/** The scorer of a stored version (`StoredArtifact.files`); predict with `predictPropensity(model, rows)`. */
export async function loadScorerArtifact(files: ReadonlyMap<string, Uint8Array>): Promise<LoadedPropensityModel> {
  const manifest = files.get(SCORER_MANIFEST_FILE);
  const weights = files.get(SCORER_WEIGHTS_FILE);
  if (!manifest || !weights) throw new Error(`a ${SCORER_KIND} artifact needs ${SCORER_MANIFEST_FILE} and ${SCORER_WEIGHTS_FILE}`);
  return loadPropensityModel({ manifest: JSON.parse(new TextDecoder().decode(manifest)) as PropensityManifest, weights });
}
