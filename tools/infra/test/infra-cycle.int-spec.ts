import { execFileSync, spawnSync } from 'node:child_process';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { retryKafkaCall } from '@storeloop/messaging';

const script = join(__dirname, '..', 'infra.sh');

function infra(...args: string[]): { status: number | null; output: string } {
  const result = spawnSync('bash', [script, ...args], { encoding: 'utf8', timeout: 200_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Live (non-zombie) processes whose command line matches. */
function liveProcesses(pattern: string): string[] {
  const out = execFileSync('ps', ['-eo', 'stat=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((line) => line.includes(pattern) && !line.trim().startsWith('Z') && !line.includes('ps -eo'));
}

describe('tools/infra/infra.sh (real Kafka and Redis)', () => {
  afterAll(() => {
    // Leave the single-broker infrastructure running, as the other suites expect.
    infra('down');
    infra('up');
  });

  it('up twice in a row is harmless', () => {
    const first = infra('up');
    expect(first.status).toBe(0);
    const second = infra('up');
    expect(second.status).toBe(0);
    expect(second.output).toMatch(/kafka: already running/);
    expect(second.output).toMatch(/redis: already running/);
    expect(infra('status').status).toBe(0);
  });

  it('down leaves no Kafka or Redis process and frees the ports', async () => {
    expect(infra('down').status).toBe(0);
    expect(liveProcesses('kafka.Kafka')).toEqual([]);
    expect(liveProcesses('redis-server 127.0.0.1:6379')).toEqual([]);
    expect(await portOpen(9092)).toBe(false);
    expect(await portOpen(6379)).toBe(false);
    expect(infra('status').status).toBe(3);
  });

  it('up --brokers 3 gives a cluster where a topic with replication factor 3 can be created', async () => {
    const up = infra('up', '--brokers', '3');
    expect(up.status).toBe(0);
    const kafka = new Kafka({ brokers: ['127.0.0.1:9092', '127.0.0.1:9093', '127.0.0.1:9094'], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const cluster = await admin.describeCluster();
      expect(cluster.brokers.map((b) => b.port).sort()).toEqual([9092, 9093, 9094]);
      await admin.createTopics({ waitForLeaders: true, topics: [{ topic: 'infra-cycle-rf3', numPartitions: 3, replicationFactor: 3 }] });
      // The creating controller answered; a broker asked next may not have the topic in its metadata cache yet
      // (UNKNOWN_TOPIC_OR_PARTITION, retriable): ask again for a while, as a client would.
      const metadata = await retryKafkaCall('reading the new topic\'s metadata', () => admin.fetchTopicMetadata({ topics: ['infra-cycle-rf3'] }));
      for (const partition of metadata.topics[0].partitions) {
        expect(partition.replicas).toHaveLength(3);
      }
    } finally {
      await admin.disconnect();
    }
    expect(infra('down').status).toBe(0);
    expect(liveProcesses('kafka.Kafka')).toEqual([]);
  });
});
