import { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { env, parseEnv } from '@storeloop/observability';
import type { ArtifactStore } from './artifact-store';
import { FilesystemArtifactStore } from './filesystem-store';
import { S3ArtifactStore } from './s3-store';

/**
 * Where model artifacts live; read by the training service (writer) and the
 * inference service (reader). Documented in the README.
 */
export const artifactStoreConfigSchema = z
  .object({
    /** `filesystem` (a directory, default) or `s3` (any S3-compatible store: AWS, MinIO, Ceph...). */
    ARTIFACT_STORE: z.enum(['filesystem', 's3']).default('filesystem'),
    /** Root directory of the filesystem store; relative paths resolve from the working directory. */
    ARTIFACT_DIR: z.string().min(1).default('.local/artifacts'),
    ARTIFACT_S3_BUCKET: z.string().min(3).optional(),
    /** Key prefix inside the bucket, e.g. `storeloop/models/`. */
    ARTIFACT_S3_PREFIX: z.string().default(''),
    ARTIFACT_S3_REGION: z.string().min(1).default('us-east-1'),
    /** Endpoint of a non-AWS store, e.g. `http://minio:9000`; unset for AWS. */
    ARTIFACT_S3_ENDPOINT: z.url().optional(),
    /** Path-style URLs (`endpoint/bucket/key`), which MinIO and most self-hosted stores need. */
    ARTIFACT_S3_FORCE_PATH_STYLE: env.bool(false),
    /** Static credentials; when unset the AWS default chain is used (env, profile, IRSA, instance role). */
    ARTIFACT_S3_ACCESS_KEY_ID: z.string().min(1).optional(),
    ARTIFACT_S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  })
  .superRefine((c, ctx) => {
    if (c.ARTIFACT_STORE === 's3' && !c.ARTIFACT_S3_BUCKET) {
      ctx.addIssue({ code: 'custom', path: ['ARTIFACT_S3_BUCKET'], message: 'required when ARTIFACT_STORE is s3' });
    }
    if (Boolean(c.ARTIFACT_S3_ACCESS_KEY_ID) !== Boolean(c.ARTIFACT_S3_SECRET_ACCESS_KEY)) {
      ctx.addIssue({ code: 'custom', path: ['ARTIFACT_S3_SECRET_ACCESS_KEY'], message: 'set both ARTIFACT_S3_ACCESS_KEY_ID and ARTIFACT_S3_SECRET_ACCESS_KEY, or neither' });
    }
  });

export type ArtifactStoreSettings = z.infer<typeof artifactStoreConfigSchema>;

export function loadArtifactStoreSettings(source: Record<string, string | undefined> = process.env): ArtifactStoreSettings {
  return parseEnv(artifactStoreConfigSchema, source);
}

export function createArtifactStore(settings: ArtifactStoreSettings): ArtifactStore {
  if (settings.ARTIFACT_STORE === 'filesystem') return new FilesystemArtifactStore(settings.ARTIFACT_DIR);
  const client = new S3Client({
    region: settings.ARTIFACT_S3_REGION,
    forcePathStyle: settings.ARTIFACT_S3_FORCE_PATH_STYLE,
    ...(settings.ARTIFACT_S3_ENDPOINT ? { endpoint: settings.ARTIFACT_S3_ENDPOINT } : {}),
    ...(settings.ARTIFACT_S3_ACCESS_KEY_ID && settings.ARTIFACT_S3_SECRET_ACCESS_KEY
      ? { credentials: { accessKeyId: settings.ARTIFACT_S3_ACCESS_KEY_ID, secretAccessKey: settings.ARTIFACT_S3_SECRET_ACCESS_KEY } }
      : {}),
  });
  return new S3ArtifactStore(client, settings.ARTIFACT_S3_BUCKET as string, settings.ARTIFACT_S3_PREFIX);
}
