import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  ArtifactStoreError,
  CHAMPION_FILE,
  METADATA_FILE,
  byCreation,
  parseMetadata,
  prepareArtifact,
  requireArtifactName,
  verifyFiles,
  type ArtifactStore,
  type NewArtifact,
  type StoredArtifact,
} from './artifact-store';
import { championPointerSchema, type ArtifactMetadata, type ChampionPointer } from './metadata';

const VERSIONS = 'versions';

function isMissing(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}

function isPreconditionFailed(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'PreconditionFailed' || e?.$metadata?.httpStatusCode === 412;
}

/**
 * The same layout as the filesystem store, as objects under
 * `<prefix><model>/versions/<version>/`. S3 has no rename, so
 * `metadata.json` is the commit marker: the files go up first, the metadata
 * last (with If-None-Match, so a version is never overwritten), and readers
 * only know versions whose metadata exists. Deleting removes the metadata
 * first for the same reason. A single PUT is atomic, so the champion pointer
 * is replaced whole. The store owns the client: `close()` destroys it.
 */
export class S3ArtifactStore implements ArtifactStore {
  readonly kind = 's3';
  private readonly prefix: string;

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    prefix = '',
  ) {
    this.prefix = prefix && !prefix.endsWith('/') ? `${prefix}/` : prefix;
  }

  uri(modelName?: string, version?: string): string {
    const path = [modelName, modelName && version ? `${VERSIONS}/${version}` : undefined].filter(Boolean).join('/');
    return `s3://${this.bucket}/${this.prefix}${path}${path ? '/' : ''}`;
  }

  private versionKey(modelName: string, version: string, file: string): string {
    requireArtifactName(modelName, 'model name');
    requireArtifactName(version, 'version');
    return `${this.prefix}${modelName}/${VERSIONS}/${version}/${file}`;
  }

  private async call<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (error instanceof ArtifactStoreError) throw error;
      throw new ArtifactStoreError('ARTIFACT.STORE_FAILED', `s3://${this.bucket}: ${what} failed: ${(error as Error).message}`, { cause: error });
    }
  }

  private async getBytes(key: string): Promise<Uint8Array | null> {
    try {
      const answer = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (!answer.Body) return new Uint8Array();
      return await answer.Body.transformToByteArray();
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  private async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
  }

  async put(artifact: NewArtifact): Promise<StoredArtifact> {
    const { metadata, metadataBytes } = prepareArtifact(artifact);
    const { modelName, version } = metadata;
    const metadataKey = this.versionKey(modelName, version, METADATA_FILE);
    return this.call(`put ${modelName} ${version}`, async () => {
      if (await this.exists(metadataKey)) throw new ArtifactStoreError('ARTIFACT.EXISTS', `${modelName} version ${version} already exists`);
      for (const file of metadata.files) {
        await this.client.send(
          new PutObjectCommand({ Bucket: this.bucket, Key: this.versionKey(modelName, version, file.name), Body: artifact.files[file.name] }),
        );
      }
      try {
        await this.client.send(
          new PutObjectCommand({ Bucket: this.bucket, Key: metadataKey, Body: metadataBytes, ContentType: 'application/json', IfNoneMatch: '*' }),
        );
      } catch (error) {
        if (isPreconditionFailed(error)) throw new ArtifactStoreError('ARTIFACT.EXISTS', `${modelName} version ${version} already exists`);
        throw error;
      }
      const files = new Map(metadata.files.map((file) => [file.name, artifact.files[file.name]]));
      return { metadata, files, uri: this.uri(modelName, version) };
    });
  }

  async get(modelName: string, version: string): Promise<StoredArtifact | null> {
    const where = this.uri(modelName, version);
    const metadataKey = this.versionKey(modelName, version, METADATA_FILE);
    return this.call(`get ${modelName} ${version}`, async () => {
      const bytes = await this.getBytes(metadataKey);
      if (!bytes) return null;
      const metadata = parseMetadata(bytes, where);
      const files = new Map<string, Uint8Array>();
      for (const file of metadata.files) {
        const content = await this.getBytes(this.versionKey(modelName, version, file.name));
        if (content) files.set(file.name, content);
      }
      verifyFiles(metadata, files, where);
      return { metadata, files, uri: where };
    });
  }

  private async keys(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }));
      for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  async list(modelName?: string): Promise<ArtifactMetadata[]> {
    if (modelName) requireArtifactName(modelName, 'model name');
    return this.call('list', async () => {
      const under = `${this.prefix}${modelName ? `${modelName}/${VERSIONS}/` : ''}`;
      const marker = new RegExp(`^[^/]+/${VERSIONS}/[^/]+/${METADATA_FILE.replace('.', '\\.')}$`);
      const found: ArtifactMetadata[] = [];
      for (const key of await this.keys(under)) {
        if (!marker.test(key.slice(this.prefix.length))) continue;
        const bytes = await this.getBytes(key);
        if (bytes) found.push(parseMetadata(bytes, `s3://${this.bucket}/${key}`));
      }
      return found.sort(byCreation);
    });
  }

  async delete(modelName: string, version: string): Promise<boolean> {
    const metadataKey = this.versionKey(modelName, version, METADATA_FILE);
    const champion = await this.readChampion(modelName);
    if (champion?.version === version) {
      throw new ArtifactStoreError('ARTIFACT.INVALID', `${modelName} version ${version} is the champion; promote another version first`);
    }
    return this.call(`delete ${modelName} ${version}`, async () => {
      if (!(await this.exists(metadataKey))) return false;
      // The commit marker goes first: from here on readers no longer see the version.
      await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: [{ Key: metadataKey }] } }));
      const rest = (await this.keys(this.versionKey(modelName, version, ''))).map((Key) => ({ Key }));
      for (let i = 0; i < rest.length; i += 1000) {
        await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: rest.slice(i, i + 1000) } }));
      }
      return true;
    });
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  async readChampion(modelName: string): Promise<ChampionPointer | null> {
    requireArtifactName(modelName, 'model name');
    const key = `${this.prefix}${modelName}/${CHAMPION_FILE}`;
    const bytes = await this.call(`read champion of ${modelName}`, () => this.getBytes(key));
    if (!bytes) return null;
    try {
      return championPointerSchema.parse(JSON.parse(new TextDecoder().decode(bytes)));
    } catch (error) {
      throw new ArtifactStoreError('ARTIFACT.CORRUPT', `s3://${this.bucket}/${key} is unreadable`, { cause: error });
    }
  }

  async writeChampion(pointer: ChampionPointer): Promise<void> {
    const parsed = championPointerSchema.parse(pointer);
    const metadataKey = this.versionKey(parsed.modelName, parsed.version, METADATA_FILE);
    await this.call(`write champion of ${parsed.modelName}`, async () => {
      if (!(await this.exists(metadataKey))) {
        throw new ArtifactStoreError('ARTIFACT.NOT_FOUND', `${parsed.modelName} version ${parsed.version} does not exist`);
      }
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: `${this.prefix}${parsed.modelName}/${CHAMPION_FILE}`,
          Body: new TextEncoder().encode(`${JSON.stringify(parsed, null, 2)}\n`),
          ContentType: 'application/json',
        }),
      );
    });
  }
}
