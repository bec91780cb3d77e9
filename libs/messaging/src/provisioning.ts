import type { Admin, ITopicConfig } from 'kafkajs';
import type { Logger } from '@storeloop/observability';
import type { TopicNamer } from './topic-namer';

/** What provisioning needs of a topic definition from the contracts registry. */
export interface TopicSpec {
  name: string;
  partitions: number;
  cleanupPolicy: 'delete' | 'compact';
  /** -1 keeps records forever. */
  retentionMs: number;
  /** Topic-level max.message.bytes, where records may exceed the broker default. */
  maxMessageBytes?: number;
}

export interface ProvisionResult {
  created: string[];
  existing: string[];
}

/** Broker-side settings a topic spec implies (compaction for model lifecycle, retention for event logs). */
export function topicConfigEntries(spec: TopicSpec): { name: string; value: string }[] {
  const entries = [
    { name: 'cleanup.policy', value: spec.cleanupPolicy },
    { name: 'retention.ms', value: String(spec.retentionMs) },
  ];
  if (spec.maxMessageBytes !== undefined) entries.push({ name: 'max.message.bytes', value: String(spec.maxMessageBytes) });
  return entries;
}

/**
 * Creates the registry's topics that do not exist yet and waits for their
 * leaders. Safe to run from every replica at start: creation races are
 * answered "already exists" and counted as existing. Never alters existing topics.
 */
export async function provisionTopics(
  admin: Admin,
  specs: readonly TopicSpec[],
  namer: TopicNamer,
  options: { replicationFactor?: number; logger?: Logger } = {},
): Promise<ProvisionResult> {
  const present = new Set(await admin.listTopics());
  const missing = specs.filter((spec) => !present.has(namer.physical(spec.name)));
  const topics: ITopicConfig[] = missing.map((spec) => ({
    topic: namer.physical(spec.name),
    numPartitions: spec.partitions,
    replicationFactor: options.replicationFactor ?? -1,
    configEntries: topicConfigEntries(spec),
  }));
  let created = topics.map((t) => t.topic);
  if (topics.length > 0) {
    try {
      await admin.createTopics({ topics, waitForLeaders: true });
    } catch (error) {
      // Another replica may have created them between list and create: then they count as existing.
      const nowPresent = new Set(await admin.listTopics());
      if (!topics.every((t) => nowPresent.has(t.topic))) throw error;
      created = [];
    }
  }
  const result = {
    created,
    existing: specs.map((s) => namer.physical(s.name)).filter((name) => !created.includes(name)),
  };
  options.logger?.info(result, 'kafka topics provisioned');
  return result;
}
