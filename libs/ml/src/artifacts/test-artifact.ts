import type { NewArtifact } from './artifact-store';

/** A small valid version for the store specs. */
export function sampleArtifact(version: string, createdAt: string, overrides: Partial<NewArtifact['metadata']> = {}): NewArtifact {
  return {
    metadata: {
      formatVersion: 1,
      modelName: 'ranker',
      version,
      kind: 'mlp-scorer',
      createdAt,
      parentVersion: null,
      gitRevision: 'abc123',
      backend: 'cpu',
      dataWindow: {
        from: '2026-11-01T00:00:00.000Z',
        to: '2026-11-02T00:00:00.000Z',
        examples: 10,
        trainExamples: 8,
        holdoutExamples: 2,
        holdoutFrom: '2026-11-01T20:00:00.000Z',
      },
      metrics: { auc: 0.8, logLoss: 0.4 },
      details: { featureNames: ['a', 'b'] },
      ...overrides,
    },
    files: {
      'model.json': new TextEncoder().encode(JSON.stringify({ version })),
      'weights.bin': Uint8Array.from([1, 2, 3, 4, version.length]),
    },
  };
}
