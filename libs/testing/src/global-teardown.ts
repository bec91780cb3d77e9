/** Stops containers started by the global setup; the local infra keeps running for the next run. */
export default async function globalTeardown(): Promise<void> {
  for (const container of globalThis.__STORELOOP_CONTAINERS__ ?? []) await container.stop();
}
