import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { Admin, Kafka } from 'kafkajs';
import { createLogger } from '@storeloop/observability';
import { createTopics, testKafka, track, uniqueName, waitFor, type RunningProcess } from '@storeloop/testing';
import { TopicNamer, TopicProducer } from '../src';

const TOTAL = 2000;

describe('consumer stopped with SIGTERM mid-stream (real broker, separate process)', () => {
  let kafka: Kafka;
  let admin: Admin;
  let redis: Redis;
  let topic: string;
  let dlq: string;
  let listKey: string;
  const processes: RunningProcess[] = [];

  beforeAll(async () => {
    kafka = testKafka();
    admin = kafka.admin();
    await admin.connect();
    redis = new Redis(process.env.REDIS_URL!);
    topic = uniqueName('test.shutdown');
    dlq = uniqueName('test.shutdown-dlq');
    listKey = uniqueName('test:handled');
    await createTopics(admin, [topic, dlq], 3);
  });

  afterAll(async () => {
    for (const p of processes) await p.stop('SIGKILL');
    await redis.del(listKey);
    redis.disconnect();
    await admin.deleteTopics({ topics: [topic, dlq] }).catch(() => undefined);
    await admin.disconnect();
  });

  function startConsumer(groupId: string): RunningProcess {
    const child = spawn(process.execPath, [join(__dirname, 'fixtures/counting-consumer.js')], {
      env: { ...process.env, TOPIC: topic, DLQ_TOPIC: dlq, GROUP_ID: groupId, LIST_KEY: listKey },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const running = track(child);
    processes.push(running);
    return running;
  }

  it('continues after a restart with no gap and no duplicate', async () => {
    const producer = new TopicProducer(kafka, new TopicNamer(), createLogger('test', 'silent'));
    await producer.connect();
    const ids = Array.from({ length: TOTAL }, (_, i) => `m${String(i).padStart(5, '0')}`);
    for (let i = 0; i < ids.length; i += 500) {
      await producer.sendMessages(
        topic,
        ids.slice(i, i + 500).map((id) => ({ key: `user-${Number(id.slice(1)) % 37}`, value: JSON.stringify({ id }) })),
      );
    }
    await producer.disconnect();

    const groupId = uniqueName('test.shutdown-group');
    const first = startConsumer(groupId);
    await waitFor(async () => (await redis.llen(listKey)) >= 300, { timeoutMs: 60_000, description: 'first 300 records' });
    const exit = await first.stop('SIGTERM');
    expect(exit).toBe(0);
    expect(first.output()).toContain('stopped cleanly');
    const handledBeforeRestart = await redis.llen(listKey);
    expect(handledBeforeRestart).toBeLessThan(TOTAL);

    startConsumer(groupId);
    await waitFor(async () => (await redis.llen(listKey)) >= TOTAL, { timeoutMs: 90_000, description: `all ${TOTAL} records` });
    // Give a late duplicate the chance to show up before counting.
    await waitFor(async () => (await admin.fetchOffsets({ groupId, topics: [topic] }))[0].partitions.reduce((s, p) => s + Number(p.offset), 0) === TOTAL, {
      timeoutMs: 30_000,
      description: 'committed offsets to reach the end of the topic',
    });

    const handled = await redis.lrange(listKey, 0, -1);
    const handledIds = handled.map((entry) => entry.split(':')[1]);
    expect(handled).toHaveLength(TOTAL);
    expect(new Set(handledIds).size).toBe(TOTAL);
    expect([...handledIds].sort()).toEqual(ids);
    // Per-partition order holds across the restart.
    const byPartition = new Map<string, string[]>();
    for (const entry of handled) {
      const [partition, id] = entry.split(':');
      byPartition.set(partition, [...(byPartition.get(partition) ?? []), id]);
    }
    for (const list of byPartition.values()) expect(list).toEqual([...list].sort());
  });
});
