/** The training service's settings group. */
export const TRAINING_SETTINGS = Symbol('TRAINING_SETTINGS');
/** The ArtifactStore (filesystem or S3) from ARTIFACT_* settings. */
export const ARTIFACT_STORE = Symbol('ARTIFACT_STORE');
/** The TF.js backend chosen at start (TfBackendDescription). */
export const TF_BACKEND = Symbol('TF_BACKEND');
