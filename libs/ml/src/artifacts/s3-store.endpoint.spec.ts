import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { ArtifactStoreError } from './artifact-store';
import { createArtifactStore, loadArtifactStoreSettings } from './config';
import { sampleArtifact } from './test-artifact';

/**
 * The S3 store against a real S3-compatible server, when one is given:
 *
 *   pip install 'moto[server]' && moto_server -p 5055 &
 *   STORELOOP_S3_TEST_ENDPOINT=http://127.0.0.1:5055 npx jest -c libs/ml/jest.config.js s3-store.endpoint
 *
 * (MinIO works the same way.) Skipped otherwise: the mock-backed spec covers the logic.
 */
const endpoint = process.env.STORELOOP_S3_TEST_ENDPOINT;

(endpoint ? describe : describe.skip)(`S3ArtifactStore against ${endpoint ?? 'an S3-compatible server (STORELOOP_S3_TEST_ENDPOINT unset)'}`, () => {
  const bucket = `storeloop-it-${randomBytes(4).toString('hex')}`;
  const env = {
    ARTIFACT_STORE: 's3',
    ARTIFACT_S3_BUCKET: bucket,
    ARTIFACT_S3_PREFIX: 'models',
    ARTIFACT_S3_ENDPOINT: endpoint,
    ARTIFACT_S3_FORCE_PATH_STYLE: 'true',
    ARTIFACT_S3_ACCESS_KEY_ID: process.env.STORELOOP_S3_TEST_ACCESS_KEY_ID ?? 'test',
    ARTIFACT_S3_SECRET_ACCESS_KEY: process.env.STORELOOP_S3_TEST_SECRET_ACCESS_KEY ?? 'test',
  };

  beforeAll(async () => {
    const settings = loadArtifactStoreSettings(env);
    const client = new S3Client({
      region: settings.ARTIFACT_S3_REGION,
      endpoint: settings.ARTIFACT_S3_ENDPOINT,
      forcePathStyle: true,
      credentials: { accessKeyId: env.ARTIFACT_S3_ACCESS_KEY_ID, secretAccessKey: env.ARTIFACT_S3_SECRET_ACCESS_KEY },
    });
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    client.destroy();
  });

  it('stores, lists, reads, points to and deletes versions on the server', async () => {
    const store = createArtifactStore(loadArtifactStoreSettings(env));
    const written = await store.put(sampleArtifact('v1', '2026-11-02T00:00:00.000Z'));
    await store.put(sampleArtifact('v2', '2026-11-03T00:00:00.000Z'));
    expect(written.uri).toBe(`s3://${bucket}/models/ranker/versions/v1/`);
    const read = await store.get('ranker', 'v1');
    expect(read?.metadata).toEqual(written.metadata);
    expect(Array.from(read?.files.get('weights.bin') ?? [])).toEqual([1, 2, 3, 4, 2]);
    expect((await store.list('ranker')).map((m) => m.version)).toEqual(['v1', 'v2']);
    const error = await store.put(sampleArtifact('v1', '2026-11-04T00:00:00.000Z')).catch((e: ArtifactStoreError) => e);
    expect(error).toMatchObject({ code: 'ARTIFACT.EXISTS' });
    await store.writeChampion({ modelName: 'ranker', version: 'v2', previous: ['v1'], updatedAt: '2026-11-03T01:00:00.000Z' });
    expect((await store.readChampion('ranker'))?.version).toBe('v2');
    expect(await store.delete('ranker', 'v1')).toBe(true);
    expect(await store.get('ranker', 'v1')).toBeNull();
    expect((await store.list()).map((m) => m.version)).toEqual(['v2']);
  });
});
