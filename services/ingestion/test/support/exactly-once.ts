import { Partitioners, type Admin, type KafkaMessage } from 'kafkajs';
import { EventType, exampleEvent } from '@storeloop/contracts';
import { committedOffsets, waitFor, type TopicReader } from '@storeloop/testing';

const murmur2Partitioner = Partitioners.DefaultPartitioner();

/** The partition kafkajs' default (murmur2, Java-compatible) partitioner gives `key`, as the service's producers do. */
export function partitionOfKey(key: string | Buffer, partitions: number): number {
  return murmur2Partitioner({
    topic: 'any',
    partitionMetadata: Array.from({ length: partitions }, (_, partitionId) => ({ partitionId, leader: 1, replicas: [1], isr: [1], partitionErrorCode: 0 })),
    message: { key, value: null },
  });
}

export interface ConsumerPosition {
  /** Records on the raw topic (sum of high watermarks). */
  written: number;
  /** Records the group has committed past (sum of committed offsets; nothing committed counts as 0). */
  committed: number;
}

/** How far the ingestion consumer group has got through the raw topic. */
export async function rawConsumerPosition(admin: Admin, group: string, rawTopic: string): Promise<ConsumerPosition & { caughtUp: boolean }> {
  const [ends, committed] = await Promise.all([admin.fetchTopicOffsets(rawTopic), committedOffsets(admin, group, rawTopic)]);
  let written = 0;
  let done = 0;
  let caughtUp = true;
  for (const end of ends) {
    const high = Number(end.high);
    const at = Math.max(0, committed.get(end.partition) ?? -1);
    written += high;
    done += at;
    if (at !== high) caughtUp = false;
  }
  return { written, committed: done, caughtUp };
}

/** The CloudEvent id of a record on an events topic. */
export function eventIdOf(message: KafkaMessage): string {
  return (JSON.parse(message.value?.toString('utf8') ?? 'null') as { id?: string } | null)?.id ?? '<no id>';
}

function userOnPartition(partition: number, partitions: number, tag: string): string {
  for (let i = 0; ; i++) {
    const user = `${tag}-fence-user-${i}`;
    if (partitionOfKey(user, partitions) === partition) return user;
  }
}

export interface DrainOptions {
  admin: Admin;
  consumerGroup: string;
  rawTopic: string;
  eventsTopic: string;
  events: TopicReader;
  /** Sends events through the service and resolves once they got a 202. */
  send(events: Record<string, unknown>[]): Promise<void>;
  tag: string;
  timeoutMs: number;
}

/**
 * Waits until everything ingested so far is readable, and returns the ids of
 * the fence events it added. First the consumer must have committed past
 * every raw record (so every output transaction has been committed); then one
 * fence event per partition of the events topic goes through the service.
 * Records of a partition are read in order, and a read_committed reader stops
 * at any still-open transaction, so once every fence has been read, every
 * committed record before it has been too: counting is then final, and any
 * duplicate would already be in `events.messages`.
 */
export async function drainIngestion(options: DrainOptions): Promise<string[]> {
  const { admin, consumerGroup, rawTopic, events, tag, timeoutMs } = options;
  await waitFor(async () => (await rawConsumerPosition(admin, consumerGroup, rawTopic)).caughtUp, {
    timeoutMs,
    intervalMs: 250,
    description: `group ${consumerGroup} to commit past every record of ${rawTopic}`,
  });
  const partitions = (await admin.fetchTopicOffsets(options.eventsTopic)).length;
  const fences = Array.from({ length: partitions }, (_, partition) =>
    exampleEvent(EventType.ProductViewed, {
      id: `${tag}-fence-${partition}`,
      data: { userId: userOnPartition(partition, partitions, tag) },
    }),
  );
  await options.send(fences);
  const fenceIds = fences.map((fence) => fence.id);
  await waitFor(
    () => {
      const seen = new Set(events.messages.map((m) => eventIdOf(m.message)));
      return fenceIds.every((id) => seen.has(id));
    },
    { timeoutMs, intervalMs: 200, description: `a fence event on each of the ${partitions} partitions of ${options.eventsTopic}` },
  );
  return fenceIds;
}

/** Ids that occur other than exactly once in `actual` given the expected multiset (each expected once). */
export function exactlyOnceReport(expected: readonly string[], actual: readonly string[]): { missing: string[]; duplicated: string[]; unexpected: string[] } {
  const wanted = new Set(expected);
  const counts = new Map<string, number>();
  for (const id of actual) counts.set(id, (counts.get(id) ?? 0) + 1);
  return {
    missing: expected.filter((id) => !counts.has(id)),
    duplicated: [...counts].filter(([id, n]) => wanted.has(id) && n > 1).map(([id, n]) => `${id} x${n}`),
    unexpected: [...counts.keys()].filter((id) => !wanted.has(id)),
  };
}
