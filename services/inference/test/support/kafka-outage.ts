import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Kafka } from 'kafkajs';
import { repoRoot, waitFor, type CollectedMessage } from '@storeloop/testing';

const run = promisify(execFile);
const INFRA = join(repoRoot(__dirname), 'tools/infra/infra.sh');

/**
 * Stops and restarts the local broker of `tools/infra/infra.sh` for outage
 * tests. Asynchronous on purpose: the code under test keeps running (and
 * spooling) while the broker goes down and comes back.
 */
export class LocalKafkaOutage {
  private down = false;

  constructor(private readonly kafka: Kafka) {}

  /** Fails clearly when the test broker is not the local infra one (e.g. a testcontainers broker). */
  async assertControllable(): Promise<void> {
    const { stdout } = await run('bash', [INFRA, 'status'], { timeout: 30_000 }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
    if (!/kafka-1\s+running/.test(stdout)) {
      throw new Error(`this test stops and restarts the local broker with tools/infra/infra.sh, which is not running it:\n${stdout}`);
    }
  }

  async stop(): Promise<void> {
    this.down = true;
    await run('bash', [INFRA, 'stop', 'kafka'], { timeout: 90_000 });
  }

  /** Starts the broker (a no-op when it runs) and waits until a client gets metadata from it. */
  async start(): Promise<void> {
    await run('bash', [INFRA, 'start', 'kafka'], { timeout: 180_000 });
    const admin = this.kafka.admin();
    try {
      await waitFor(
        async () => {
          await admin.connect();
          return (await admin.describeCluster()).brokers.length > 0;
        },
        { timeoutMs: 60_000, intervalMs: 250, description: 'the restarted broker to answer' },
      );
    } finally {
      await admin.disconnect();
    }
    this.down = false;
  }

  /** For afterAll/finally: whatever happened, leave the shared broker running. */
  async restoreIfDown(): Promise<void> {
    if (this.down) await this.start();
  }
}

export interface DeliveryReport {
  /** Event ids appended but not on the topic. */
  missing: string[];
  /** Records beyond the first of each event id (at-least-once resends). */
  duplicates: number;
  /** Users whose events arrived (first occurrences) in another order than appended. */
  reordered: string[];
  /** Records on the topic whose key is not the event's user. */
  wrongKey: number;
}

function pushTo(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * Compares what was appended with what landed on the feedback topic: every
 * id present, keyed by user, each user's events in append order (one key
 * lives on one partition, so its records arrive in partition order).
 */
export function deliveryReport(appended: readonly { id: string; data: { userId: string } }[], messages: readonly CollectedMessage[]): DeliveryReport {
  const seen = new Set<string>();
  const arrivedByUser = new Map<string, string[]>();
  let duplicates = 0;
  let wrongKey = 0;
  for (const { message } of messages) {
    const event = JSON.parse(String(message.value)) as { id: string; data: { userId: string } };
    if (String(message.key) !== event.data.userId) wrongKey++;
    if (seen.has(event.id)) {
      duplicates++;
      continue;
    }
    seen.add(event.id);
    pushTo(arrivedByUser, event.data.userId, event.id);
  }
  const expectedByUser = new Map<string, string[]>();
  for (const event of appended) pushTo(expectedByUser, event.data.userId, event.id);
  const reordered = [...expectedByUser].filter(([user, ids]) => (arrivedByUser.get(user) ?? []).join() !== ids.join()).map(([user]) => user);
  return { missing: appended.filter((e) => !seen.has(e.id)).map((e) => e.id), duplicates, reordered, wrongKey };
}
