import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
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

const VERSIONS_DIR = 'versions';
/** Staging and trash live beside `versions/`, on the same file system, so rename is atomic. */
const STAGING_DIR = '.staging';

const isCode = (error: unknown, ...codes: string[]) => codes.includes((error as NodeJS.ErrnoException)?.code ?? '');

/** Writes and fsyncs: after the rename that publishes it, the bytes survive a power loss. */
async function writeDurably(path: string, bytes: Uint8Array): Promise<void> {
  const handle = await open(path, 'wx');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Versions as directories: `<root>/<model>/versions/<version>/` holding the
 * files and `metadata.json`, and `<root>/<model>/champion.json`. A version is
 * written in full to a staging directory, then renamed into `versions/`:
 * rename is atomic on one file system, so a reader sees all of it or nothing.
 * The pointer is replaced the same way (temp file, then rename).
 */
export class FilesystemArtifactStore implements ArtifactStore {
  readonly kind = 'filesystem';
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  uri(modelName?: string, version?: string): string {
    const parts = [this.root, ...(modelName ? [modelName] : []), ...(modelName && version ? [VERSIONS_DIR, version] : [])];
    return pathToFileURL(join(...parts)).href;
  }

  private versionDir(modelName: string, version: string): string {
    requireArtifactName(modelName, 'model name');
    requireArtifactName(version, 'version');
    return join(this.root, modelName, VERSIONS_DIR, version);
  }

  async put(artifact: NewArtifact): Promise<StoredArtifact> {
    const { metadata, metadataBytes } = prepareArtifact(artifact);
    const target = this.versionDir(metadata.modelName, metadata.version);
    const staging = join(this.root, metadata.modelName, STAGING_DIR, `${metadata.version}-${randomBytes(4).toString('hex')}`);
    await mkdir(staging, { recursive: true });
    await mkdir(join(this.root, metadata.modelName, VERSIONS_DIR), { recursive: true });
    try {
      for (const file of metadata.files) await writeDurably(join(staging, file.name), artifact.files[file.name]);
      await writeDurably(join(staging, METADATA_FILE), metadataBytes);
      // rename(2) onto an existing non-empty directory fails: versions are immutable.
      await rename(staging, target);
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      if (isCode(error, 'ENOTEMPTY', 'EEXIST')) {
        throw new ArtifactStoreError('ARTIFACT.EXISTS', `${metadata.modelName} version ${metadata.version} already exists`);
      }
      throw new ArtifactStoreError('ARTIFACT.STORE_FAILED', `could not write ${metadata.modelName} version ${metadata.version}`, { cause: error });
    }
    const files = new Map(metadata.files.map((file) => [file.name, artifact.files[file.name]]));
    return { metadata, files, uri: this.uri(metadata.modelName, metadata.version) };
  }

  async get(modelName: string, version: string): Promise<StoredArtifact | null> {
    const dir = this.versionDir(modelName, version);
    let metadata: ArtifactMetadata;
    try {
      metadata = parseMetadata(await readFile(join(dir, METADATA_FILE)), this.uri(modelName, version));
    } catch (error) {
      if (isCode(error, 'ENOENT')) return null;
      throw error;
    }
    const files = new Map<string, Uint8Array>();
    for (const file of metadata.files) {
      try {
        files.set(file.name, await readFile(join(dir, file.name)));
      } catch (error) {
        if (!isCode(error, 'ENOENT')) throw error;
      }
    }
    verifyFiles(metadata, files, this.uri(modelName, version));
    return { metadata, files, uri: this.uri(modelName, version) };
  }

  async list(modelName?: string): Promise<ArtifactMetadata[]> {
    const models = modelName ? [modelName] : await this.entries(this.root);
    const found: ArtifactMetadata[] = [];
    for (const model of models) {
      if (!modelName && model.startsWith('.')) continue;
      requireArtifactName(model, 'model name');
      const versionsDir = join(this.root, model, VERSIONS_DIR);
      for (const version of await this.entries(versionsDir)) {
        try {
          found.push(parseMetadata(await readFile(join(versionsDir, version, METADATA_FILE)), this.uri(model, version)));
        } catch (error) {
          // A directory without metadata is not a version (only the store writes here; nothing half-written is renamed in).
          if (!isCode(error, 'ENOENT')) throw error;
        }
      }
    }
    return found.sort(byCreation);
  }

  async delete(modelName: string, version: string): Promise<boolean> {
    const dir = this.versionDir(modelName, version);
    const champion = await this.readChampion(modelName);
    if (champion?.version === version) {
      throw new ArtifactStoreError('ARTIFACT.INVALID', `${modelName} version ${version} is the champion; promote another version first`);
    }
    // Out of `versions/` first, in one rename, so no reader sees a half-deleted version.
    const trash = join(this.root, modelName, STAGING_DIR, `deleted-${version}-${randomBytes(4).toString('hex')}`);
    await mkdir(join(this.root, modelName, STAGING_DIR), { recursive: true });
    try {
      await rename(dir, trash);
    } catch (error) {
      if (isCode(error, 'ENOENT')) return false;
      throw new ArtifactStoreError('ARTIFACT.STORE_FAILED', `could not delete ${modelName} version ${version}`, { cause: error });
    }
    await rm(trash, { recursive: true, force: true });
    return true;
  }

  async readChampion(modelName: string): Promise<ChampionPointer | null> {
    requireArtifactName(modelName, 'model name');
    const path = join(this.root, modelName, CHAMPION_FILE);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if (isCode(error, 'ENOENT')) return null;
      throw error;
    }
    try {
      return championPointerSchema.parse(JSON.parse(text));
    } catch (error) {
      throw new ArtifactStoreError('ARTIFACT.CORRUPT', `${path} is unreadable`, { cause: error });
    }
  }

  async writeChampion(pointer: ChampionPointer): Promise<void> {
    const parsed = championPointerSchema.parse(pointer);
    const dir = this.versionDir(parsed.modelName, parsed.version);
    const exists = await readFile(join(dir, METADATA_FILE)).then(
      () => true,
      () => false,
    );
    if (!exists) throw new ArtifactStoreError('ARTIFACT.NOT_FOUND', `${parsed.modelName} version ${parsed.version} does not exist`);
    const path = join(this.root, parsed.modelName, CHAMPION_FILE);
    const temp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
    await writeDurably(temp, new TextEncoder().encode(`${JSON.stringify(parsed, null, 2)}\n`));
    await rename(temp, path);
  }

  private async entries(dir: string): Promise<string[]> {
    try {
      return (await readdir(dir, { withFileTypes: true })).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
    } catch (error) {
      if (isCode(error, 'ENOENT')) return [];
      throw error;
    }
  }
}
