import { createHash } from 'node:crypto';
import { ARTIFACT_NAME_PATTERN, artifactMetadataSchema, type ArtifactMetadata, type ArtifactMetadataInput, type ChampionPointer } from './metadata';

/** File of every version that says what the version is; written last, read first. */
export const METADATA_FILE = 'metadata.json';
/** Per-model pointer to the champion version. */
export const CHAMPION_FILE = 'champion.json';

/** Stable codes, so a caller across a process boundary can tell what went wrong. */
export type ArtifactErrorCode = 'ARTIFACT.NOT_FOUND' | 'ARTIFACT.EXISTS' | 'ARTIFACT.INVALID' | 'ARTIFACT.CORRUPT' | 'ARTIFACT.STORE_FAILED';

export class ArtifactStoreError extends Error {
  override readonly name = 'ArtifactStoreError';
  constructor(
    readonly code: ArtifactErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A version to store: its metadata (the file list is computed by the store) and its files' bytes. */
export interface NewArtifact {
  metadata: Omit<ArtifactMetadataInput, 'files'>;
  files: Readonly<Record<string, Uint8Array>>;
}

/** A stored version: metadata and every file, digests checked. */
export interface StoredArtifact {
  metadata: ArtifactMetadata;
  files: Map<string, Uint8Array>;
  uri: string;
}

/**
 * Versioned model directories. Implementations guarantee that a version is
 * either wholly visible (every file and its metadata) or not at all, and that
 * versions are immutable once written (`put` of an existing version fails).
 */
export interface ArtifactStore {
  /** `filesystem` or `s3`, for logs and metrics. */
  readonly kind: string;
  /** Absolute URI of a version (for lifecycle events), or of the store root when no version is given. */
  uri(modelName?: string, version?: string): string;
  put(artifact: NewArtifact): Promise<StoredArtifact>;
  /** The version, or null when it does not exist. Throws ARTIFACT.CORRUPT when a file does not match its digest. */
  get(modelName: string, version: string): Promise<StoredArtifact | null>;
  /** Metadata of every complete version of a model (all models when none is given), oldest first. */
  list(modelName?: string): Promise<ArtifactMetadata[]>;
  /** Removes a version; false when it did not exist. Refuses to delete the champion. */
  delete(modelName: string, version: string): Promise<boolean>;
  readChampion(modelName: string): Promise<ChampionPointer | null>;
  /** Replaces the pointer atomically; the version must exist. */
  writeChampion(pointer: ChampionPointer): Promise<void>;
  /** Releases what the store holds open (the S3 client's sockets); the store is unusable after. */
  close?(): Promise<void>;
}

export function requireArtifactName(value: string, what: string): void {
  if (!ARTIFACT_NAME_PATTERN.test(value)) {
    throw new ArtifactStoreError('ARTIFACT.INVALID', `${what} "${value}" is not a valid artifact name (letters, digits, ".", "_" or "-")`);
  }
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Validates the new version and computes its file list; shared by the stores so they agree byte for byte. */
export function prepareArtifact(artifact: NewArtifact): { metadata: ArtifactMetadata; metadataBytes: Uint8Array } {
  const names = Object.keys(artifact.files).sort();
  for (const name of names) {
    requireArtifactName(name, 'file');
    if (name === METADATA_FILE) throw new ArtifactStoreError('ARTIFACT.INVALID', `${METADATA_FILE} is written by the store, not passed as a file`);
  }
  const files = names.map((name) => ({ name, bytes: artifact.files[name].byteLength, sha256: sha256Hex(artifact.files[name]) }));
  const parsed = artifactMetadataSchema.safeParse({ ...artifact.metadata, files });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ArtifactStoreError('ARTIFACT.INVALID', `metadata is invalid at "${issue.path.join('.')}": ${issue.message}`);
  }
  return { metadata: parsed.data, metadataBytes: new TextEncoder().encode(`${JSON.stringify(parsed.data, null, 2)}\n`) };
}

export function parseMetadata(bytes: Uint8Array, where: string): ArtifactMetadata {
  try {
    return artifactMetadataSchema.parse(JSON.parse(new TextDecoder().decode(bytes)));
  } catch (error) {
    throw new ArtifactStoreError('ARTIFACT.CORRUPT', `${where}: metadata is unreadable`, { cause: error });
  }
}

/** Throws ARTIFACT.CORRUPT unless every listed file is there with its digest. */
export function verifyFiles(metadata: ArtifactMetadata, files: ReadonlyMap<string, Uint8Array>, where: string): void {
  for (const file of metadata.files) {
    const bytes = files.get(file.name);
    if (!bytes) throw new ArtifactStoreError('ARTIFACT.CORRUPT', `${where}: file ${file.name} is missing`);
    if (bytes.byteLength !== file.bytes || sha256Hex(bytes) !== file.sha256) {
      throw new ArtifactStoreError('ARTIFACT.CORRUPT', `${where}: file ${file.name} does not match its sha256`);
    }
  }
}

/** Oldest first; versions created in the same millisecond by name. */
export function byCreation(a: ArtifactMetadata, b: ArtifactMetadata): number {
  return Date.parse(a.createdAt) - Date.parse(b.createdAt) || a.version.localeCompare(b.version);
}
