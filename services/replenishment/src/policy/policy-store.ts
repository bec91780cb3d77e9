import { keyPart, type RedisClient } from '@storeloop/feature-store';
import type { ArtifactStore } from '@storeloop/ml';
import { POLICY_ARTIFACT_FORMAT, weightsFromBytes, type PolicyArtifact, type PolicyArtifactMetadata } from '@storeloop/supply-chain';

/** Cost and fill rate of a policy over the evaluation days (cost per SKU x store and day). */
export interface PolicyScore {
  cost: number;
  fillRate: number;
}

/** What one training run produced and how it compared with the classical policy on held-out days. */
export interface TrainingRun {
  version: string;
  outcome: 'promoted' | 'rejected' | 'failed';
  startedAt: string;
  finishedAt: string;
  trainSeconds: number;
  /** TF.js backend of the run. */
  backend?: string;
  /** SKU x store series trained and evaluated on. */
  series: number;
  /** Held-out days per series the scores are computed on. */
  testDays: number;
  learned?: PolicyScore;
  classical?: PolicyScore;
  /** Why the run failed, or why it was not promoted. */
  reason?: string;
  /** Where the artifact was stored (promoted or rejected runs). */
  artifactUri?: string;
}

/** The days a run learnt from and was scored on. */
export interface DataWindow {
  from: string;
  to: string;
  /** Series-days in all, in training, and held out. */
  examples: number;
  trainExamples: number;
  holdoutExamples: number;
  holdoutFrom: string;
}

const RUNS_KEPT = 20;
const POLICY_FILE = 'policy.json';
const WEIGHTS_FILE = 'weights.bin';

/**
 * Learned-policy artifacts in the platform's artifact store (filesystem or
 * S3, as the other models: ARTIFACT_STORE, ARTIFACT_DIR...), one version per
 * training run with `policy.json` (the supply-chain artifact metadata:
 * format, structure and tuned classical parameters, layer sizes, training
 * record) and `weights.bin` (little-endian float32); the store's champion
 * pointer follows promotions. The run records and the pointer every replica
 * follows live in Redis:
 *
 *   repl:<tenant>:{policy}:seq       version counter (1, 2, ...)
 *   repl:<tenant>:{policy}:current   the promoted run (JSON TrainingRun)
 *   repl:<tenant>:{policy}:runs      the last 20 runs, newest first (JSON TrainingRun)
 */
export class PolicyStore {
  private readonly base: string;

  constructor(
    private readonly redis: RedisClient,
    tenant: string,
    private readonly artifacts: ArtifactStore,
    readonly modelName: string,
  ) {
    this.base = `repl:${keyPart(tenant)}:{policy}`;
  }

  /** The next version: past the counter and past every version already stored (a wiped Redis restarts its counter). */
  async nextVersion(): Promise<string> {
    const stored = await this.artifacts.list(this.modelName);
    const highest = stored.reduce((max, metadata) => Math.max(max, Number(metadata.version) || 0), 0);
    const next = await this.redis.incr(`${this.base}:seq`);
    if (next > highest) return String(next);
    await this.redis.set(`${this.base}:seq`, highest + 1);
    return String(highest + 1);
  }

  /** Stores a run's artifact; answers its URI. */
  async writeArtifact(
    artifact: PolicyArtifact,
    info: { backend: string; parentVersion: string | null; dataWindow: DataWindow; metrics: Record<string, number>; gitRevision: string | null },
  ): Promise<string> {
    const weights = artifact.weights;
    const stored = await this.artifacts.put({
      metadata: {
        formatVersion: 1,
        modelName: this.modelName,
        version: artifact.metadata.version,
        kind: POLICY_ARTIFACT_FORMAT,
        createdAt: new Date().toISOString(),
        parentVersion: info.parentVersion,
        gitRevision: info.gitRevision,
        backend: info.backend,
        dataWindow: info.dataWindow,
        metrics: info.metrics,
        details: { structure: artifact.metadata.structure },
      },
      files: {
        [POLICY_FILE]: new TextEncoder().encode(JSON.stringify(artifact.metadata)),
        [WEIGHTS_FILE]: new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength),
      },
    });
    return stored.uri;
  }

  /** The policy artifact of a version, digests checked by the store. */
  async readArtifact(version: string): Promise<{ metadata: PolicyArtifactMetadata; weights: Float32Array }> {
    const stored = await this.artifacts.get(this.modelName, version);
    if (!stored) throw new Error(`${this.modelName} version ${version} is not in the ${this.artifacts.kind} artifact store (${this.artifacts.uri()})`);
    const policy = stored.files.get(POLICY_FILE);
    const weights = stored.files.get(WEIGHTS_FILE);
    if (!policy || !weights) throw new Error(`${this.modelName} version ${version} lacks ${POLICY_FILE} or ${WEIGHTS_FILE}`);
    return { metadata: JSON.parse(new TextDecoder().decode(policy)) as PolicyArtifactMetadata, weights: weightsFromBytes(weights) };
  }

  async current(): Promise<TrainingRun | null> {
    const raw = await this.redis.get(`${this.base}:current`);
    return raw === null ? null : (JSON.parse(raw) as TrainingRun);
  }

  /** Records a run; a promoted one becomes the champion and the current policy of every replica. */
  async record(run: TrainingRun): Promise<void> {
    if (run.outcome === 'promoted') {
      const previous = await this.artifacts.readChampion(this.modelName).catch(() => null);
      await this.artifacts.writeChampion({
        modelName: this.modelName,
        version: run.version,
        previous: previous ? [previous.version, ...previous.previous].slice(0, RUNS_KEPT) : [],
        updatedAt: new Date().toISOString(),
      });
    }
    const pipeline = this.redis.multi();
    pipeline.lpush(`${this.base}:runs`, JSON.stringify(run));
    pipeline.ltrim(`${this.base}:runs`, 0, RUNS_KEPT - 1);
    if (run.outcome === 'promoted') pipeline.set(`${this.base}:current`, JSON.stringify(run));
    await pipeline.exec();
  }

  async runs(): Promise<TrainingRun[]> {
    return (await this.redis.lrange(`${this.base}:runs`, 0, RUNS_KEPT - 1)).map((raw) => JSON.parse(raw) as TrainingRun);
  }
}
