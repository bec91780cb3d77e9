import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { ArtifactStoreError } from './artifact-store';
import { S3ArtifactStore } from './s3-store';
import { sampleArtifact } from './test-artifact';

const notFound = () => Object.assign(new Error('not found'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
const codeOf = async (promise: Promise<unknown>) => promise.then(() => 'resolved', (error: ArtifactStoreError) => error.code);

/**
 * aws-sdk-client-mock intercepts the commands the store sends; behind it a
 * map plays the bucket (keys, bytes, If-None-Match, paging), so the specs
 * check what the store does with S3's semantics, not which calls it makes.
 */
function fakeBucket() {
  const objects = new Map<string, Uint8Array>();
  const puts: string[] = [];
  const s3 = mockClient(S3Client);
  s3.on(PutObjectCommand).callsFake((input: { Key: string; Body: Uint8Array; IfNoneMatch?: string }) => {
    if (input.IfNoneMatch === '*' && objects.has(input.Key)) {
      throw Object.assign(new Error('precondition'), { name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
    }
    objects.set(input.Key, input.Body);
    puts.push(input.Key);
    return {};
  });
  s3.on(GetObjectCommand).callsFake((input: { Key: string }) => {
    const bytes = objects.get(input.Key);
    if (!bytes) throw notFound();
    return { Body: { transformToByteArray: async () => bytes } };
  });
  s3.on(HeadObjectCommand).callsFake((input: { Key: string }) => {
    if (!objects.has(input.Key)) throw notFound();
    return {};
  });
  // Two keys a page, to exercise continuation.
  s3.on(ListObjectsV2Command).callsFake((input: { Prefix: string; ContinuationToken?: string }) => {
    const keys = [...objects.keys()].filter((key) => key.startsWith(input.Prefix)).sort();
    const start = Number(input.ContinuationToken ?? 0);
    const page = keys.slice(start, start + 2);
    const more = start + 2 < keys.length;
    return { Contents: page.map((Key) => ({ Key })), IsTruncated: more, NextContinuationToken: more ? String(start + 2) : undefined };
  });
  s3.on(DeleteObjectsCommand).callsFake((input: { Delete: { Objects: { Key: string }[] } }) => {
    for (const { Key } of input.Delete.Objects) objects.delete(Key);
    return {};
  });
  return { s3, objects, puts, client: new S3Client({ region: 'us-east-1' }) };
}

describe('S3ArtifactStore (aws-sdk-client-mock with an in-memory bucket)', () => {
  let bucket: ReturnType<typeof fakeBucket>;
  let store: S3ArtifactStore;

  beforeEach(() => {
    bucket = fakeBucket();
    store = new S3ArtifactStore(bucket.client, 'models', 'storeloop');
  });
  afterEach(() => bucket.s3.restore());

  it('uploads the files, then metadata.json last as the commit marker, and reads the version back', async () => {
    const written = await store.put(sampleArtifact('v1', '2026-11-02T00:00:00.000Z'));
    expect(written.uri).toBe('s3://models/storeloop/ranker/versions/v1/');
    expect(bucket.puts).toEqual([
      'storeloop/ranker/versions/v1/model.json',
      'storeloop/ranker/versions/v1/weights.bin',
      'storeloop/ranker/versions/v1/metadata.json',
    ]);
    const read = await store.get('ranker', 'v1');
    expect(read?.metadata).toEqual(written.metadata);
    expect(Array.from(read?.files.get('weights.bin') ?? [])).toEqual([1, 2, 3, 4, 2]);
    expect(await store.get('ranker', 'v2')).toBeNull();
  });

  it('does not see a version whose metadata never arrived, and never overwrites one', async () => {
    bucket.objects.set('storeloop/ranker/versions/v0/model.json', new Uint8Array([1]));
    await store.put(sampleArtifact('v2', '2026-11-03T00:00:00.000Z'));
    await store.put(sampleArtifact('v1', '2026-11-02T00:00:00.000Z'));
    await store.put(sampleArtifact('p1', '2026-11-01T00:00:00.000Z', { modelName: 'propensity' }));
    expect(await store.get('ranker', 'v0')).toBeNull();
    expect((await store.list('ranker')).map((m) => m.version)).toEqual(['v1', 'v2']);
    expect((await store.list()).map((m) => `${m.modelName}/${m.version}`)).toEqual(['propensity/p1', 'ranker/v1', 'ranker/v2']);
    expect(await codeOf(store.put(sampleArtifact('v1', '2026-11-05T00:00:00.000Z')))).toBe('ARTIFACT.EXISTS');
  });

  it('detects corrupted objects', async () => {
    await store.put(sampleArtifact('v1', '2026-11-02T00:00:00.000Z'));
    bucket.objects.set('storeloop/ranker/versions/v1/weights.bin', new Uint8Array([0]));
    expect(await codeOf(store.get('ranker', 'v1'))).toBe('ARTIFACT.CORRUPT');
  });

  it('keeps the champion pointer, refuses pointers to missing versions, and deletes other versions whole', async () => {
    await store.put(sampleArtifact('v1', '2026-11-02T00:00:00.000Z'));
    await store.put(sampleArtifact('v2', '2026-11-03T00:00:00.000Z'));
    const pointer = { modelName: 'ranker', version: 'v2', previous: ['v1'], updatedAt: '2026-11-03T01:00:00.000Z' };
    await store.writeChampion(pointer);
    expect(await store.readChampion('ranker')).toEqual(pointer);
    expect(await codeOf(store.writeChampion({ ...pointer, version: 'v9' }))).toBe('ARTIFACT.NOT_FOUND');
    expect(await codeOf(store.delete('ranker', 'v2'))).toBe('ARTIFACT.INVALID');
    expect(await store.delete('ranker', 'v1')).toBe(true);
    expect([...bucket.objects.keys()].filter((key) => key.includes('/v1/'))).toEqual([]);
    expect(await store.delete('ranker', 'v1')).toBe(false);
  });

  it('destroys its client on close', async () => {
    const destroy = jest.spyOn(bucket.client, 'destroy');
    await store.close();
    expect(destroy).toHaveBeenCalledTimes(1);
  });

  it('wraps transport failures in ARTIFACT.STORE_FAILED', async () => {
    bucket.s3.on(ListObjectsV2Command).rejects(new Error('connect ECONNREFUSED'));
    const error = await store.list('ranker').catch((e: ArtifactStoreError) => e);
    expect(error).toMatchObject({ code: 'ARTIFACT.STORE_FAILED', message: expect.stringContaining('ECONNREFUSED') });
  });
});
