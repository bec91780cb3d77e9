/**
 * Versioned artifacts for learned order policies: a JSON metadata document
 * (format, version, structure, layer sizes, corrections, training record) and
 * the weights as one Float32Array (each layer's W row-major, then its b).
 * The service stores both (e.g. metadata in Redis or a file, weights as
 * bytes) and rebuilds the policy with deserializePolicy.
 */
import type { OrderPolicy } from './policy';
import { SupplyChainInputError } from './errors';
import { Mlp } from './rl/mlp';
import { type EchelonStructure, NeuralOrderPolicy, NeuralSerialPolicy, type PolicyStructure, type SingleStageStructure } from './neural-policy';

export const POLICY_ARTIFACT_FORMAT = 'storeloop.order-policy';
export const POLICY_ARTIFACT_FORMAT_VERSION = 1;

export interface PolicyArtifactMetadata {
  format: typeof POLICY_ARTIFACT_FORMAT;
  formatVersion: number;
  /** Policy family, e.g. `rl-ppo`. */
  name: string;
  /** The trained policy's version (unique per training run). */
  version: string;
  structure: PolicyStructure;
  layerSizes: number[];
  deltas: number[];
  /** Number of float32 weights, to check the weights belong to this metadata. */
  weightCount: number;
  /** What produced it: algorithm, iterations, seed, costs, date. */
  training?: Record<string, unknown>;
}

export interface PolicyArtifact {
  metadata: PolicyArtifactMetadata;
  weights: Float32Array;
}

type NeuralPolicy = NeuralOrderPolicy | NeuralSerialPolicy;

export function serializePolicy(policy: NeuralPolicy, training?: Record<string, unknown>): PolicyArtifact {
  const total = policy.network.params.reduce((s, p) => s + p.length, 0);
  const weights = new Float32Array(total);
  let offset = 0;
  for (const p of policy.network.params) {
    weights.set(p, offset);
    offset += p.length;
  }
  return {
    metadata: {
      format: POLICY_ARTIFACT_FORMAT,
      formatVersion: POLICY_ARTIFACT_FORMAT_VERSION,
      name: policy.name,
      version: policy.version,
      structure: JSON.parse(JSON.stringify(policy.structure)) as PolicyStructure,
      layerSizes: [...policy.network.sizes],
      deltas: [...policy.deltas],
      weightCount: total,
      ...(training ? { training } : {}),
    },
    weights,
  };
}

/** Accepts a Float32Array, or bytes (Buffer / Uint8Array / ArrayBuffer) holding little-endian float32s. */
export function weightsFromBytes(bytes: Float32Array | Uint8Array | ArrayBuffer): Float32Array {
  if (bytes instanceof Float32Array) return bytes;
  const view = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes;
  if (view.byteLength % 4 !== 0) throw new SupplyChainInputError(`weights must be whole float32s, got ${view.byteLength} bytes`);
  const copy = new Uint8Array(view.byteLength);
  copy.set(view);
  return new Float32Array(copy.buffer);
}

function buildNetwork(metadata: PolicyArtifactMetadata, weights: Float32Array | Uint8Array | ArrayBuffer): Mlp {
  if (metadata.format !== POLICY_ARTIFACT_FORMAT) throw new SupplyChainInputError(`not an order-policy artifact: format '${String(metadata.format)}'`);
  if (metadata.formatVersion !== POLICY_ARTIFACT_FORMAT_VERSION) {
    throw new SupplyChainInputError(`unsupported order-policy artifact version ${metadata.formatVersion} (this build reads ${POLICY_ARTIFACT_FORMAT_VERSION})`);
  }
  const flat = weightsFromBytes(weights);
  if (flat.length !== metadata.weightCount) {
    throw new SupplyChainInputError(`artifact ${metadata.version}: expected ${metadata.weightCount} weights, got ${flat.length}`);
  }
  const shape = new Mlp(metadata.layerSizes).parameterShapes();
  const params: Float32Array[] = [];
  let offset = 0;
  for (const n of shape) {
    params.push(flat.slice(offset, offset + n));
    offset += n;
  }
  if (offset !== flat.length) throw new SupplyChainInputError(`artifact ${metadata.version}: layer sizes need ${offset} weights, got ${flat.length}`);
  return new Mlp(metadata.layerSizes, params);
}

/** Rebuilds a single-stage learned policy (the kind the replenishment service runs). */
export function deserializePolicy(metadata: PolicyArtifactMetadata, weights: Float32Array | Uint8Array | ArrayBuffer): OrderPolicy {
  if (metadata.structure?.kind === 'echelon-base-stock') {
    throw new SupplyChainInputError('this artifact is a serial (multi-echelon) policy: use deserializeSerialPolicy');
  }
  return new NeuralOrderPolicy(metadata.structure as SingleStageStructure, buildNetwork(metadata, weights), metadata.deltas, metadata.version);
}

export function deserializeSerialPolicy(metadata: PolicyArtifactMetadata, weights: Float32Array | Uint8Array | ArrayBuffer): NeuralSerialPolicy {
  if (metadata.structure?.kind !== 'echelon-base-stock') throw new SupplyChainInputError(`artifact ${metadata.version} is not a serial policy`);
  return new NeuralSerialPolicy(metadata.structure as EchelonStructure, buildNetwork(metadata, weights), metadata.deltas, metadata.version);
}
