/**
 * Propensity model artifact: one JSON manifest (format tag, feature names,
 * standardiser, calibrator, config, training summary, the TF.js topology and
 * weight specs) plus one binary blob of little-endian float32 weights, the
 * layout TF.js itself uses for `model.json` + `weights.bin`. Bytes in, bytes
 * out, so any artifact store (filesystem, S3) can hold it; the directory
 * helpers are for local use.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { MlInputError } from '../errors';
import type { Calibrator } from './calibration';
import type { PropensityMlpConfig, PropensityMlpModel } from './mlp';
import type { StandardizerState } from './standardizer';

export const PROPENSITY_ARTIFACT_FORMAT = 'storeloop.propensity-mlp/v1';
export const PROPENSITY_MANIFEST_FILE = 'model.json';
export const PROPENSITY_WEIGHTS_FILE = 'weights.bin';

export interface PropensityManifest {
  format: typeof PROPENSITY_ARTIFACT_FORMAT;
  featureNames: string[];
  standardizer: StandardizerState;
  calibrator: Calibrator;
  config: PropensityMlpConfig;
  training: PropensityMlpModel['training'];
  /** TF.js Keras-style topology, as `model.toJSON` would give. */
  modelTopology: object;
  weightSpecs: tf.io.WeightsManifestEntry[];
}

export interface PropensityArtifact {
  manifest: PropensityManifest;
  weights: Uint8Array;
}

/** A model without its network: what `loadPropensityModel` restores besides the network. */
export type LoadedPropensityModel = Pick<PropensityMlpModel, 'network' | 'featureNames' | 'standardizer' | 'calibrator' | 'config' | 'training'>;

export async function serializePropensityModel(model: LoadedPropensityModel): Promise<PropensityArtifact> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.network.save(
    tf.io.withSaveHandler(async (artifacts) => {
      captured = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!captured?.modelTopology || !captured.weightSpecs || !captured.weightData) {
    throw new MlInputError('the network did not produce a topology and weights when saved');
  }
  const data = captured.weightData;
  const buffer = Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : (data as ArrayBuffer);
  return {
    manifest: {
      format: PROPENSITY_ARTIFACT_FORMAT,
      featureNames: model.featureNames,
      standardizer: model.standardizer,
      calibrator: model.calibrator,
      config: model.config,
      training: model.training,
      modelTopology: captured.modelTopology as object,
      weightSpecs: captured.weightSpecs,
    },
    weights: new Uint8Array(buffer),
  };
}

export async function loadPropensityModel(artifact: PropensityArtifact): Promise<LoadedPropensityModel> {
  const { manifest, weights } = artifact;
  if (manifest?.format !== PROPENSITY_ARTIFACT_FORMAT) {
    throw new MlInputError(`not a propensity artifact: format is ${JSON.stringify(manifest?.format)}, expected ${PROPENSITY_ARTIFACT_FORMAT}`);
  }
  const expectedBytes = manifest.weightSpecs.reduce(
    (sum, spec) => sum + spec.shape.reduce((n, d) => n * d, 1) * 4,
    0,
  );
  if (weights.byteLength !== expectedBytes) {
    throw new MlInputError(`weights hold ${weights.byteLength} bytes, the manifest's specs need ${expectedBytes}`);
  }
  // Copy into a fresh ArrayBuffer: the Uint8Array may be a view into a larger (pooled) Buffer.
  const weightData = weights.slice().buffer;
  const network = await tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: manifest.modelTopology, weightSpecs: manifest.weightSpecs, weightData }),
  );
  const { featureNames, standardizer, calibrator, config, training } = manifest;
  return { network, featureNames, standardizer, calibrator, config, training };
}

/** Writes `model.json` and `weights.bin` into `directory` (created if missing). */
export async function savePropensityModelToDirectory(model: LoadedPropensityModel, directory: string): Promise<void> {
  const { manifest, weights } = await serializePropensityModel(model);
  await mkdir(directory, { recursive: true });
  await writeFile(join(directory, PROPENSITY_WEIGHTS_FILE), weights);
  await writeFile(join(directory, PROPENSITY_MANIFEST_FILE), `${JSON.stringify(manifest)}\n`);
}

export async function loadPropensityModelFromDirectory(directory: string): Promise<LoadedPropensityModel> {
  const manifest = JSON.parse(await readFile(join(directory, PROPENSITY_MANIFEST_FILE), 'utf8')) as PropensityManifest;
  const weights = new Uint8Array(await readFile(join(directory, PROPENSITY_WEIGHTS_FILE)));
  return loadPropensityModel({ manifest, weights });
}
