import type { Admin, Kafka } from 'kafkajs';
import { laggingPartitions } from './diagnose';

/**
 * Records a group has not committed on a topic: high watermark minus the
 * committed offset per partition (from the low watermark where it has none).
 * kafkajs commits past transaction markers, so a group that has read
 * everything is at 0.
 */
export async function groupLag(admin: Admin, groupId: string, topics: readonly string[]): Promise<number> {
  const lagging = await laggingPartitions(admin, groupId, topics);
  return lagging.reduce((sum, p) => sum + p.high - (p.committed >= 0 ? p.committed : p.low), 0);
}

/** Partitions of the topics whose in-sync replicas are fewer than their replicas. */
export async function underReplicated(admin: Admin, topics: readonly string[]): Promise<number> {
  const { topics: metadata } = await admin.fetchTopicMetadata({ topics: [...topics] });
  let count = 0;
  for (const topic of metadata) for (const p of topic.partitions) if (p.isr.length < p.replicas.length || p.leader < 0) count++;
  return count;
}

export interface TopicSettings {
  topic: string;
  partitions: number;
  replicationFactor: number;
  minInsyncReplicas: number;
}

export async function topicSettings(admin: Admin, topics: readonly string[]): Promise<TopicSettings[]> {
  const { topics: metadata } = await admin.fetchTopicMetadata({ topics: [...topics] });
  const configs = await admin.describeConfigs({
    includeSynonyms: false,
    resources: topics.map((name) => ({ type: 2 /* TOPIC */, name, configNames: ['min.insync.replicas'] })),
  });
  return metadata.map((t) => {
    const entry = configs.resources.find((r) => r.resourceName === t.name)?.configEntries.find((e) => e.configName === 'min.insync.replicas');
    return {
      topic: t.name,
      partitions: t.partitions.length,
      replicationFactor: Math.min(...t.partitions.map((p) => p.replicas.length)),
      minInsyncReplicas: Number(entry?.configValue ?? 1),
    };
  });
}

/**
 * Reads every committed record of a topic up to its current high watermarks
 * (read_committed: what a downstream consumer sees) and gives each value to
 * `visit`. Uses an assigned, group-less read so no offsets are committed.
 */
export async function readWholeTopic(kafka: Kafka, admin: Admin, topic: string, visit: (value: Buffer) => void): Promise<number> {
  const ends = await admin.fetchTopicOffsets(topic);
  const remaining = new Map(ends.filter((e) => Number(e.high) > Number(e.low)).map((e) => [e.partition, Number(e.high)]));
  if (remaining.size === 0) return 0;
  const consumer = kafka.consumer({ groupId: `chaos-verify-${process.pid}-${Date.now()}`, readUncommitted: false, maxBytesPerPartition: 4 * 1024 * 1024 });
  let records = 0;
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      // A partition whose last records are transaction markers may never deliver a batch reaching its high watermark: 10 s with nothing new
      // ends the read. The clock starts once the group is joined: on a loaded machine the join alone can take longer than that.
      const startedAt = Date.now();
      let lastProgress: number | undefined;
      consumer.on(consumer.events.GROUP_JOIN, () => (lastProgress ??= Date.now()));
      const idle = setInterval(() => {
        if (remaining.size === 0 || (lastProgress !== undefined && Date.now() - lastProgress > 10_000)) {
          clearInterval(idle);
          resolve();
        } else if (lastProgress === undefined && Date.now() - startedAt > 120_000) {
          clearInterval(idle);
          reject(new Error(`reading ${topic}: the verifying consumer did not join its group within 120 s`));
        }
      }, 200);
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            lastProgress = Date.now();
            for (const message of batch.messages) {
              records++;
              if (message.value) visit(message.value);
            }
            const high = remaining.get(batch.partition);
            // The last offset of a batch includes trailing transaction markers.
            if (high !== undefined && Number(batch.lastOffset()) + 1 >= high) remaining.delete(batch.partition);
            if (remaining.size === 0) {
              clearInterval(idle);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return records;
}
