/** The features service's settings, with the Redis key prefix the store marker needs. */
export const FEATURES_SETTINGS = Symbol('FEATURES_SETTINGS');
/** The training-examples stage, or null when FEATURES_EMIT_EXAMPLES=false. */
export const EXAMPLES_STAGE = Symbol('EXAMPLES_STAGE');
