import { ConfigResourceTypes, type Admin } from 'kafkajs';
import { topicConfigEntries, type TopicSpec } from '../provisioning';
import type { TopicNamer } from '../topic-namer';

/** What the broker reports for one topic: the settings provisioning controls. */
export interface ObservedTopic {
  name: string;
  partitions: number;
  replicationFactor: number;
  /** Topic configs by name (cleanup.policy, retention.ms, max.message.bytes). */
  configs: Record<string, string>;
}

/** An existing topic whose broker settings differ from the registry's. */
export interface TopicDrift {
  topic: string;
  setting: string;
  registry: string;
  broker: string;
}

/** The settings provisioning sets on a topic, by broker config name, with `partitions` first. */
function expectedSettings(spec: TopicSpec): Record<string, string> {
  return {
    partitions: String(spec.partitions),
    ...Object.fromEntries(topicConfigEntries(spec).map((entry) => [entry.name, entry.value])),
  };
}

/**
 * Compares a topic on the broker with its registry entry. Provisioning never
 * alters an existing topic, so drift (made by hand or by an older registry)
 * is reported here for an operator to resolve.
 */
export function topicDrift(spec: TopicSpec, observed: ObservedTopic): TopicDrift[] {
  const actual: Record<string, string> = { partitions: String(observed.partitions), ...observed.configs };
  return Object.entries(expectedSettings(spec))
    .filter(([setting, value]) => actual[setting] !== value)
    .map(([setting, value]) => ({ topic: observed.name, setting, registry: value, broker: actual[setting] ?? '(unset)' }));
}

/** Reads partitions, replication and the provisioned configs of the registry's topics from the broker. */
export async function observeTopics(admin: Admin, specs: readonly TopicSpec[], namer: TopicNamer): Promise<ObservedTopic[]> {
  const names = specs.map((spec) => namer.physical(spec.name));
  const configNames = ['cleanup.policy', 'retention.ms', 'max.message.bytes'];
  const [metadata, configs] = await Promise.all([
    admin.fetchTopicMetadata({ topics: names }),
    admin.describeConfigs({
      includeSynonyms: false,
      resources: names.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames })),
    }),
  ]);
  return names.map((name) => {
    const topic = metadata.topics.find((t) => t.name === name);
    const resource = configs.resources.find((r) => r.resourceName === name);
    return {
      name,
      partitions: topic?.partitions.length ?? 0,
      replicationFactor: topic?.partitions[0]?.replicas.length ?? 0,
      configs: Object.fromEntries((resource?.configEntries ?? []).map((entry) => [entry.configName, entry.configValue])),
    };
  });
}
