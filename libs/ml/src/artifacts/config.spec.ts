import { FilesystemArtifactStore } from './filesystem-store';
import { S3ArtifactStore } from './s3-store';
import { createArtifactStore, loadArtifactStoreSettings } from './config';

describe('artifact store settings', () => {
  it('defaults to a filesystem directory', () => {
    const settings = loadArtifactStoreSettings({});
    expect(settings).toMatchObject({ ARTIFACT_STORE: 'filesystem', ARTIFACT_DIR: '.local/artifacts' });
    expect(createArtifactStore(settings)).toBeInstanceOf(FilesystemArtifactStore);
  });

  it('builds an S3 store for MinIO with path-style URLs and static credentials', () => {
    const settings = loadArtifactStoreSettings({
      ARTIFACT_STORE: 's3',
      ARTIFACT_S3_BUCKET: 'models',
      ARTIFACT_S3_PREFIX: 'prod/',
      ARTIFACT_S3_ENDPOINT: 'http://minio:9000',
      ARTIFACT_S3_FORCE_PATH_STYLE: 'true',
      ARTIFACT_S3_ACCESS_KEY_ID: 'id',
      ARTIFACT_S3_SECRET_ACCESS_KEY: 'secret',
    });
    const store = createArtifactStore(settings);
    expect(store).toBeInstanceOf(S3ArtifactStore);
    expect(store.uri('ranker', 'v1')).toBe('s3://models/prod/ranker/versions/v1/');
  });

  it('names the missing variable when s3 is chosen without a bucket, and never echoes a secret', () => {
    expect(() => loadArtifactStoreSettings({ ARTIFACT_STORE: 's3' })).toThrow(/ARTIFACT_S3_BUCKET: required when ARTIFACT_STORE is s3/);
    expect(() => loadArtifactStoreSettings({ ARTIFACT_S3_SECRET_ACCESS_KEY: 'hunter2' })).toThrow(/set both/);
    expect(() => loadArtifactStoreSettings({ ARTIFACT_S3_SECRET_ACCESS_KEY: 'hunter2' })).not.toThrow(/hunter2/);
  });
});
