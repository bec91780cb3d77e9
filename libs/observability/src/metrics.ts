import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * One Prometheus registry per process, labelled with the service name, with
 * Node's default metrics (event-loop lag, heap, GC, handles).
 */
export function createMetricsRegistry(service: string, opts: { defaultMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  return registry;
}

/** Returns the metric of that name when already registered, so libraries can be wired twice safely. */
export function getOrCreateCounter<T extends string>(
  registry: Registry,
  config: { name: string; help: string; labelNames?: readonly T[] },
): Counter<T> {
  const existing = registry.getSingleMetric(config.name);
  if (existing) return existing as Counter<T>;
  return new Counter<T>({ ...config, registers: [registry] });
}

export function getOrCreateGauge<T extends string>(
  registry: Registry,
  config: { name: string; help: string; labelNames?: readonly T[] },
): Gauge<T> {
  const existing = registry.getSingleMetric(config.name);
  if (existing) return existing as Gauge<T>;
  return new Gauge<T>({ ...config, registers: [registry] });
}

export function getOrCreateHistogram<T extends string>(
  registry: Registry,
  config: { name: string; help: string; labelNames?: readonly T[]; buckets?: number[] },
): Histogram<T> {
  const existing = registry.getSingleMetric(config.name);
  if (existing) return existing as Histogram<T>;
  return new Histogram<T>({ ...config, registers: [registry] });
}

export { Registry };
