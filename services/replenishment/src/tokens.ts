/** The service's settings (ReplenishmentSettings). */
export const REPLENISHMENT_SETTINGS = Symbol('REPLENISHMENT_SETTINGS');
/** The platform's artifact store (filesystem or S3), where learned policies are versioned. */
export const ARTIFACT_STORE = Symbol('ARTIFACT_STORE');
