import type { Admin } from 'kafkajs';

/**
 * Records a consumer group has not yet committed on a topic: the sum over
 * partitions of high watermark minus committed offset (a partition the group
 * never committed counts from its low watermark). Exact, unlike a service's
 * lag gauge, which is only refreshed when it fetches.
 */
export async function groupLag(admin: Admin, groupId: string, topic: string): Promise<number> {
  const [ends, [committed]] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
  const byPartition = new Map(committed.partitions.map((p) => [p.partition, Number(p.offset)]));
  let lag = 0;
  for (const { partition, high, low } of ends) {
    const at = byPartition.get(partition) ?? -1;
    lag += Number(high) - (at >= 0 ? at : Number(low));
  }
  return lag;
}
