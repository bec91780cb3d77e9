import { loadPlatformConfig, type PlatformConfig } from '@storeloop/platform';

export const DEFAULT_PORT = 3004;

/** Platform configuration with this service's default port (each service gets its own, so all run on one host). */
export function loadInferenceConfig(env: Record<string, string | undefined> = process.env): PlatformConfig {
  return loadPlatformConfig({ PORT: String(DEFAULT_PORT), ...env });
}
