import { mkdtemp, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArtifactStoreError } from './artifact-store';
import { FilesystemArtifactStore } from './filesystem-store';
import { sampleArtifact } from './test-artifact';

const codeOf = async (promise: Promise<unknown>) => promise.then(() => 'resolved', (error: ArtifactStoreError) => error.code);

describe('FilesystemArtifactStore', () => {
  let root: string;
  let store: FilesystemArtifactStore;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'artifacts-'));
    store = new FilesystemArtifactStore(root);
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('stores a version and reads back the same bytes and metadata, with file digests', async () => {
    const written = await store.put(sampleArtifact('v1', '2026-11-02T00:00:00.000Z'));
    expect(written.uri).toBe(`file://${root}/ranker/versions/v1`);
    expect(await readdir(join(root, 'ranker', 'versions', 'v1'))).toEqual(['metadata.json', 'model.json', 'weights.bin']);
    const read = await store.get('ranker', 'v1');
    expect(read?.metadata).toEqual(written.metadata);
    expect(read?.metadata.files.map((f) => f.name)).toEqual(['model.json', 'weights.bin']);
    expect(Array.from(read?.files.get('weights.bin') ?? [])).toEqual([1, 2, 3, 4, 2]);
    expect(await store.get('ranker', 'v9')).toBeNull();
  });

  it('never overwrites a version and leaves no staging residue', async () => {
    await store.put(sampleArtifact('v1', '2026-11-02T00:00:00.000Z'));
    expect(await codeOf(store.put(sampleArtifact('v1', '2026-11-03T00:00:00.000Z')))).toBe('ARTIFACT.EXISTS');
    expect(await readdir(join(root, 'ranker', '.staging'))).toEqual([]);
    expect((await store.get('ranker', 'v1'))?.metadata.createdAt).toBe('2026-11-02T00:00:00.000Z');
  });

  it('lists complete versions oldest first and ignores half-written directories', async () => {
    await store.put(sampleArtifact('v2', '2026-11-03T00:00:00.000Z'));
    await store.put(sampleArtifact('v1', '2026-11-02T00:00:00.000Z'));
    await store.put({ ...sampleArtifact('p1', '2026-11-01T00:00:00.000Z', { modelName: 'propensity' }) });
    // What a crashed writer could leave: files without metadata, and a staging directory.
    await mkdir(join(root, 'ranker', 'versions', 'v3'), { recursive: true });
    await writeFile(join(root, 'ranker', 'versions', 'v3', 'model.json'), '{}');
    await mkdir(join(root, 'ranker', '.staging', 'v4-0000'), { recursive: true });
    expect((await store.list('ranker')).map((m) => m.version)).toEqual(['v1', 'v2']);
    expect((await store.list()).map((m) => `${m.modelName}/${m.version}`)).toEqual(['propensity/p1', 'ranker/v1', 'ranker/v2']);
    expect(await store.list('absent')).toEqual([]);
  });

  it('refuses a version whose files do not match their digests', async () => {
    await store.put(sampleArtifact('v1', '2026-11-02T00:00:00.000Z'));
    await writeFile(join(root, 'ranker', 'versions', 'v1', 'weights.bin'), Uint8Array.from([9, 9, 9, 9, 2]));
    expect(await codeOf(store.get('ranker', 'v1'))).toBe('ARTIFACT.CORRUPT');
    await rm(join(root, 'ranker', 'versions', 'v1', 'model.json'));
    expect(await codeOf(store.get('ranker', 'v1'))).toBe('ARTIFACT.CORRUPT');
  });

  it('moves the champion pointer atomically, only to an existing version, and protects the champion from deletion', async () => {
    await store.put(sampleArtifact('v1', '2026-11-02T00:00:00.000Z'));
    await store.put(sampleArtifact('v2', '2026-11-03T00:00:00.000Z'));
    expect(await store.readChampion('ranker')).toBeNull();
    const pointer = { modelName: 'ranker', version: 'v2', previous: ['v1'], updatedAt: '2026-11-03T01:00:00.000Z' };
    await store.writeChampion(pointer);
    expect(await store.readChampion('ranker')).toEqual(pointer);
    expect(await readdir(join(root, 'ranker'))).toEqual(expect.not.arrayContaining([expect.stringMatching(/\.tmp$/)]));
    expect(await codeOf(store.writeChampion({ ...pointer, version: 'v7' }))).toBe('ARTIFACT.NOT_FOUND');
    expect(await codeOf(store.delete('ranker', 'v2'))).toBe('ARTIFACT.INVALID');
    expect(await store.delete('ranker', 'v1')).toBe(true);
    expect(await store.delete('ranker', 'v1')).toBe(false);
    expect((await store.list('ranker')).map((m) => m.version)).toEqual(['v2']);
  });

  it('rejects names that could escape the store and metadata that does not validate', async () => {
    expect(await codeOf(store.get('..', 'v1'))).toBe('ARTIFACT.INVALID');
    expect(await codeOf(store.get('ranker', '../../etc'))).toBe('ARTIFACT.INVALID');
    expect(await codeOf(store.put(sampleArtifact('v1', 'yesterday')))).toBe('ARTIFACT.INVALID');
    const withMetadataFile = sampleArtifact('v1', '2026-11-02T00:00:00.000Z');
    expect(await codeOf(store.put({ ...withMetadataFile, files: { 'metadata.json': new Uint8Array() } }))).toBe('ARTIFACT.INVALID');
  });
});
