import { z } from 'zod';

/**
 * Model names and versions become directory names and object keys, so they
 * are kept to a safe slug: no path separators, no `..`, no leading dot.
 */
export const ARTIFACT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

const artifactName = z.string().regex(ARTIFACT_NAME_PATTERN, 'letters, digits, ".", "_" or "-", starting with a letter or digit (at most 128)');
const timestamp = z.iso.datetime({ offset: true });

/** A file of a version, with its digest: `get` refuses a version whose bytes do not match. */
export const artifactFileSchema = z.object({
  name: artifactName,
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

/**
 * What a version says about itself (`metadata.json`). Written last: a version
 * without it does not exist for readers (see the stores).
 */
export const artifactMetadataSchema = z.object({
  /** Layout version of this document, bumped on incompatible changes. */
  formatVersion: z.literal(1),
  modelName: artifactName,
  version: artifactName,
  /** What kind of model the files hold (e.g. `mlp-scorer`), so a reader picks the right loader. */
  kind: z.string().min(1),
  createdAt: timestamp,
  /** The champion when this version was trained: what it was compared against. */
  parentVersion: artifactName.nullable(),
  /** Commit the trainer was built from (GIT_REVISION), null when unknown. */
  gitRevision: z.string().min(1).nullable(),
  /** TF.js backend it was trained on: tensorflow, wasm, cpu... */
  backend: z.string().min(1),
  /** Examples it learnt from and was evaluated on, by event time. */
  dataWindow: z.object({
    from: timestamp,
    to: timestamp,
    examples: z.number().int().nonnegative(),
    trainExamples: z.number().int().nonnegative(),
    holdoutExamples: z.number().int().nonnegative(),
    /** First event time of the holdout: everything from here on was never trained on. */
    holdoutFrom: timestamp,
  }),
  /** Holdout metrics of this version (auc, logLoss, calibrationError...). */
  metrics: z.record(z.string(), z.number()),
  /** Model-specific settings a loader needs (feature order, standardisation, hyperparameters). */
  details: z.record(z.string(), z.unknown()).default({}),
  files: z.array(artifactFileSchema),
});

export type ArtifactMetadata = z.output<typeof artifactMetadataSchema>;
export type ArtifactMetadataInput = z.input<typeof artifactMetadataSchema>;
export type ArtifactFile = z.output<typeof artifactFileSchema>;

/**
 * The champion pointer of a model (`champion.json`): the version serving now
 * and the champions before it, newest first, so a rollback needs no history
 * scan and survives restarts.
 */
export const championPointerSchema = z.object({
  modelName: artifactName,
  version: artifactName,
  previous: z.array(artifactName),
  updatedAt: timestamp,
});

export type ChampionPointer = z.output<typeof championPointerSchema>;
