/** The inference service's settings group. */
export const INFERENCE_SETTINGS = Symbol('INFERENCE_SETTINGS');
/** The ArtifactStore (filesystem or S3) from ARTIFACT_* settings. */
export const ARTIFACT_STORE = Symbol('ARTIFACT_STORE');
